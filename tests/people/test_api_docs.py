"""The OpenAPI document: every operation lists its error answers with the Error schema."""

import pytest

PATHS = {
    ("get", "/api/regions"): {401, 422},
    ("get", "/api/regions/{region_id}"): {401, 404, 422},
    ("get", "/api/households"): {401, 422},
    ("post", "/api/households"): {400, 401, 403, 404, 409, 422},
    ("get", "/api/households/{household_id}"): {401, 404, 422},
    ("post", "/api/households/{household_id}/residents"): {400, 401, 403, 404, 409, 422},
    ("get", "/api/residents"): {401, 422},
    ("get", "/api/residents/{resident_id}"): {401, 404, 422},
    ("post", "/api/residents/{resident_id}/reveal"): {400, 401, 403, 404, 422},
    ("get", "/api/enterprises"): {401, 422},
    ("post", "/api/enterprises"): {400, 401, 403, 404, 409, 422},
    ("get", "/api/enterprises/{enterprise_id}"): {401, 404, 422},
    ("get", "/api/search"): {400, 401},
    ("post", "/api/search"): {401, 403, 422},
}


@pytest.fixture
def schema(world, login):
    response = login(world.city_admin).get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("method, path", sorted(PATHS))
def test_it_documents_the_error_answers(schema, method, path):
    operation = schema["paths"][path][method]
    responses = {int(code): spec for code, spec in operation["responses"].items()}
    errors = {code for code in responses if code >= 400}
    assert errors == PATHS[(method, path)]
    for code in errors:
        content = responses[code]["content"]["application/json"]["schema"]
        assert content == {"$ref": "#/components/schemas/Error"}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in responses[code]["description"])
    assert operation["summary"] and any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"])


def test_it_serves_the_interactive_docs(world, login):
    assert login(world.city_admin).get("/api/docs").status_code == 200


def test_it_answers_401_in_chinese_when_logged_out(client, world):
    response = client.get("/api/households")
    assert response.status_code == 401
    assert response.json()["detail"] == "请先登录"
