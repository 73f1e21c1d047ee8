from tests.conftest import login


def test_login_page_renders_in_chinese(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "登录" in response.get_data(as_text=True)


def test_each_role_reaches_home(client, world):
    for user in vars(world.users).values():
        assert login(client, user).status_code == 302
        page = client.get("/").get_data(as_text=True)
        assert user.display_name in page
        client.post("/logout")
