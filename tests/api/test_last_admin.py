"""Nobody can lock everyone out: the last active admin cannot be demoted or deactivated,
through the API or the users page, nor by two admins removing each other at once."""

import asyncio
import re

from server.db import users_repo
from server.domain.actors import SYSTEM, Actor
from server.domain.errors import Conflict
from server.domain.vocab import Role
from server.services import auth
from tests.conftest import page_login
from tests.factories import ok, problem

ADMIN_ID = 1  # the seeded admin (tests/conftest.py seeds one user per role)


def admins(api):
    return {u["username"] for u in ok(api.get("/api/v1/users"))
            if u["role"] == "admin" and u["active"]}


def test_the_only_admin_can_neither_demote_nor_deactivate_themselves(admin):
    for change in ({"role": "manager"}, {"active": False}, {"role": "viewer", "active": False}):
        refused = problem(admin.patch(f"/api/v1/users/{ADMIN_ID}", json=change), 409)
        assert refused["code"] == "last_admin"
        assert "admin is the last active admin" in refused["detail"]
        assert "make another user an admin first" in refused["detail"]
    assert admins(admin) == {"admin"}
    ok(admin.patch(f"/api/v1/users/{ADMIN_ID}", json={"password": "a new long password"}))


def test_with_a_second_admin_one_may_go_but_not_the_last_one(admin):
    second = ok(admin.post("/api/v1/users", json={"username": "ada", "role": "admin",
                                                   "password": "long enough pass"}), 201)
    ok(admin.patch(f"/api/v1/users/{second['id']}", json={"active": False}))
    problem(admin.patch(f"/api/v1/users/{ADMIN_ID}", json={"role": "viewer"}), 409)
    ok(admin.patch(f"/api/v1/users/{second['id']}", json={"active": True}))
    ok(admin.patch(f"/api/v1/users/{second['id']}", json={"role": "manager"}))
    assert admins(admin) == {"admin"}
    problem(admin.patch(f"/api/v1/users/{ADMIN_ID}", json={"active": False}), 409)


def test_the_users_page_refuses_it_with_the_reason_next_to_the_field(client, admin):
    assert page_login(client, "admin").status_code == 303
    page = client.get("/users").text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    answer = client.post(f"/users/{ADMIN_ID}", data={"csrf": token, "role": "admin",
                                                     "active": "no"},
                         headers={"Accept": "text/html"})
    assert answer.status_code == 409
    error = re.search(rf'<p class="error" id="user-{ADMIN_ID}-active-error">([^<]*)</p>',
                      answer.text)
    assert error and "last active admin" in error.group(1), answer.text[:3000]
    assert admins(admin) == {"admin"}


def test_two_admins_demoting_each_other_at_once_leave_one_admin(client, admin):
    """Each transaction locks the admins' rows before counting them: the second one waits
    for the first and then sees it has become the last admin."""
    other = ok(admin.post("/api/v1/users", json={"username": "ada", "role": "admin",
                                                  "password": "long enough pass"}), 201)["id"]
    first = Actor(ADMIN_ID, "admin", Role.ADMIN)
    second = Actor(other, "ada", Role.ADMIN)

    async def race():
        return await asyncio.gather(
            auth.update_user(first, other, role="viewer"),
            auth.update_user(second, ADMIN_ID, role="viewer"),
            return_exceptions=True)

    async def active_admins():
        return {u["username"] for u in await users_repo.list_users()
                if u["role"] == "admin" and u["active"]}

    for _ in range(5):
        with client.portal() as portal:
            results = portal.call(race)
            refused = [r for r in results if isinstance(r, Conflict)]
            assert len(refused) == 1 and refused[0].code == "last_admin", results
            assert len(portal.call(active_admins)) == 1
            for user_id in (ADMIN_ID, other):  # both admins again for the next round
                portal.call(lambda u=user_id: auth.update_user(SYSTEM, u, role="admin"))
            assert portal.call(active_admins) == {"admin", "ada"}
