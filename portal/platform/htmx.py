"""One URL, two renderings: the full page, or one named block of it for htmx requests."""
from flask import current_app, render_template, request


def is_fragment_request() -> bool:
    """htmx asked for part of a page (boosted navigation still wants the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def render_block(template_name: str, block_name: str, **context) -> str:
    app = current_app
    template = app.jinja_env.get_or_select_template(template_name)
    app.update_template_context(context)
    ctx = template.new_context(context)
    return "".join(template.blocks[block_name](ctx))


def page_or_fragment(template_name: str, block_name: str, **context) -> str:
    if is_fragment_request():
        return render_block(template_name, block_name, **context)
    return render_template(template_name, **context)


def add_vary(response):
    response.vary.add("HX-Request")
    return response
