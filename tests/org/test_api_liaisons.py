def test_it_lists_townships_with_their_leaders(world, login):
    body = login(world.city_admin).get("/api/liaisons").json()
    assert body["count"] == 2
    by_name = {t["township"]["name"]: t["leaders"] for t in body["items"]}
    assert [x["leader"]["name"] for x in by_name["文井江镇"]] == ["李市长"]
    assert by_name["道明镇"] == []
    assert body["summary"] == {
        "townships": 2,
        "covered": 1,
        "uncovered": 1,
        "leaders": 1,
        "idle_leaders": 0,
    }


def test_it_filters_uncovered_townships(world, login):
    body = login(world.city_admin).get("/api/liaisons", {"uncovered": "true"}).json()
    assert [t["township"]["name"] for t in body["items"]] == ["道明镇"]


def test_it_scopes_townships(world, login):
    body = login(world.outsider).get("/api/liaisons").json()
    assert [t["township"]["name"] for t in body["items"]] == ["道明镇"]
    assert login(world.system_admin).get("/api/liaisons").status_code == 404
