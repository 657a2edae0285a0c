"""The active menu is one GET per call: a menu already parsed under the active token is not read again, a
new publication or a rollback is seen by the next call, and after Redis lost its data a version number that
names another menu is not mistaken for the old one."""
from ivr.menus import store as menu_store
from ivr.menus.store import ACTIVE, MenuStore, load_menu_file


def count_gets(monkeypatch) -> list:
    """The store's reads (each a GET on the client's wire or through the client)."""
    gets: list = []
    from hotline.core import redis_wire
    real_call = redis_wire.call

    async def counted(client, *command):
        gets.append(command[1])
        return await real_call(client, *command)
    monkeypatch.setattr(menu_store, "call", counted)
    return gets


def default_tree():
    return load_menu_file(menu_store.DEFAULT_MENU)


async def test_the_active_menu_is_read_once_then_one_get_per_call(unit_redis, monkeypatch):
    store = MenuStore(unit_redis)
    version = await store.publish(default_tree(), author="t")
    assert (await store.active())[0] == version
    gets = count_gets(monkeypatch)
    for _ in range(3):
        assert (await store.active())[0] == version
    assert gets == [ACTIVE] * 3


async def test_a_publication_and_a_rollback_reach_the_next_call(unit_redis):
    store = MenuStore(unit_redis)
    tree = default_tree()
    first = await store.publish(tree, author="t")
    await store.active()
    changed = tree.model_copy(update={"record_max_seconds": 33})
    second = await store.publish(changed, author="t")
    version, active = await store.active()
    assert (version, active.record_max_seconds) == (second, 33)
    await store.rollback(first, author="t")
    version, active = await store.active()
    assert (version, active.record_max_seconds) == (first, tree.record_max_seconds)


async def test_after_redis_lost_its_data_the_same_number_is_another_menu(unit_redis):
    store = MenuStore(unit_redis)
    tree = default_tree()
    await store.publish(tree, author="t")
    await store.active()
    await unit_redis.flushdb()
    again = await store.publish(tree.model_copy(update={"record_max_seconds": 21}), author="t")
    version, active = await store.active()
    assert (version, active.record_max_seconds) == (again, 21)


async def test_a_bare_version_number_from_before_is_still_understood(unit_redis):
    store = MenuStore(unit_redis)
    version = await store.publish(default_tree(), author="t")
    await unit_redis.set(ACTIVE, version)
    assert (await store.active())[0] == version
    assert await store.active_version() == version


async def test_calls_arriving_together_on_an_emptied_redis_all_get_the_one_menu_published(unit_redis):
    """After Redis lost its data, the first calls come at once: one publishes the default menu and the others
    use it (one of them was released to the general line with "no menu has been published yet")."""
    import asyncio

    store = MenuStore(unit_redis)
    results = await asyncio.gather(*(store.active_or_publish(menu_store.DEFAULT_MENU) for _ in range(5)))
    assert {version for version, _ in results} == {1}
    assert len(await store.versions()) == 1
