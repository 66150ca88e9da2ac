"""The floors of the page benchmark: what the same gunicorn settings give without the portal.

    gunicorn benchmarks.floors:hello    # a Flask hello-world: routing and the WSGI round trip only
    gunicorn benchmarks.floors:table    # a Flask page rendering a 50-row Jinja table (no database)

`make bench` serves both with the portal's gunicorn settings in the same run; every portal page is read as
a multiple of the table floor's p95 (issue 11's target: at most 3×). The table is shaped like a portal list
(a layout, a header, 50 rows of 8 cells with a link, a date filter and escaped text) but its rows are built
once at start-up, so the floor is the cost of Flask + Jinja, not of a query.
"""
from datetime import date, timedelta
from pathlib import Path

from flask import Flask, render_template

HERE = Path(__file__).resolve().parent
ROWS = [{"id": 1000 + i, "unit": f"臺北市萬華社區服務協會 {i % 7}", "name": f"陳淑芬{i}",
         "masked_id": f"A12****{i:03d}", "field": "社會福利", "status": "服務中",
         "joined_on": date(2020, 1, 1) + timedelta(days=37 * i), "half_hours": 17 * i}
        for i in range(50)]


def create(name: str) -> Flask:
    app = Flask(name, template_folder=str(HERE / "templates"))
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True  # as the portal's templates

    @app.get("/")
    def index():
        return "Hello, World!"

    @app.get("/table")
    def table():
        return render_template("floor_table.html", rows=ROWS)

    @app.get("/people/<int:person_id>")
    def person(person_id):
        return str(person_id)

    @app.template_filter("date")
    def date_filter(value):
        return f"{value.year - 1911}/{value.month:02d}/{value.day:02d}"

    return app


hello = create("hello")
table = create("table")
