"""The app starts and answers its home page on every backend."""


def test_home_page_answers(client):
    assert client.get("/").status_code == 200


def test_world_builds(world, client):
    from tests.conftest import login
    login(client, world.users["clerk_a"])
    page = client.get("/volunteers/").get_data(as_text=True)
    assert "甲志工" in page and "金絲雀" not in page
