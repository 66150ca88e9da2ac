"""One URL, two renderings: the full page, or one named block of it for htmx requests.

htmx says who it is in request headers (https://htmx.org/reference/#request_headers); these few
lines read the two the portal needs, so no extension is required."""
from flask import current_app, render_template, request


def is_htmx_request() -> bool:
    """The request was made by htmx (header HX-Request: true)."""
    return request.headers.get("HX-Request") == "true"


def is_fragment_request() -> bool:
    """htmx asked for part of a page (boosted navigation, HX-Boosted: true, still wants the whole page)."""
    return is_htmx_request() and request.headers.get("HX-Boosted") != "true"


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
