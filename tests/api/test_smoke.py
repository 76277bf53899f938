from tests.factories import item, location, ok, receive


def test_health_answers_without_login(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_an_anonymous_caller_gets_a_401_problem(client):
    answer = client.get("/api/v1/items")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_received_coffee_shows_in_the_catalog_count(manager, operator):
    shelf = location(manager)
    beans = item(manager, name="Coffee beans")
    receive(operator, beans["id"], shelf["tag"], 12)
    listed = ok(operator.get("/api/v1/items"))
    assert listed["items"][0]["count"] == 12
