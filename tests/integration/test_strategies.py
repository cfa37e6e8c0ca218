"""Routing strategies: context selection, versions (draft -> active -> retired), the admin."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User

from routing import services
from routing.errors import StrategyInvalid, StrategyNotDraft
from routing.models import RoutingStrategy, StrategyVersion
from routing.planner import RATING_NAMES, StrategyConfig
from routing.selectors import strategy_for_context
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

Active = StrategyVersion.Status.ACTIVE
Draft = StrategyVersion.Status.DRAFT
Retired = StrategyVersion.Status.RETIRED


def _strategy(name: str, *, status: str = Active, number: int = 1, **selectors) -> StrategyVersion:  # type: ignore[no-untyped-def]
    strategy = RoutingStrategy.objects.create(name=name, **selectors)
    return StrategyVersion.objects.create(strategy=strategy, number=number, status=status)


# --- which strategy applies -----------------------------------------------------------------


def test_without_a_matching_strategy_the_built_in_default_applies():
    chosen = strategy_for_context(channel=None, country="DE", delivery_type="ship")
    assert chosen.version is None
    assert chosen.config == StrategyConfig()


def test_the_most_specific_matching_strategy_wins(channel):
    other = ChannelFactory(code="marketplace")
    _strategy("global")
    _strategy("germany", destination_country="DE")
    _strategy("web", channel=channel)
    _strategy("web germany", channel=channel, destination_country="DE")
    _strategy(
        "web germany pickup",
        channel=channel,
        destination_country="DE",
        delivery_type="click_collect",
    )
    _strategy(
        "marketplace germany ship", channel=other, destination_country="DE", delivery_type="ship"
    )
    _strategy(
        "draft only", status=Draft, channel=channel, destination_country="DE", delivery_type="ship"
    )

    def name(ch, country, delivery_type):  # type: ignore[no-untyped-def]
        chosen = strategy_for_context(channel=ch, country=country, delivery_type=delivery_type)
        return chosen.config.name

    assert name(channel, "DE", "ship") == "web germany"
    assert name(channel, "DE", "click_collect") == "web germany pickup"
    assert name(channel, "FR", "ship") == "web"
    assert name(other, "DE", "ship") == "marketplace germany ship"
    assert name(other, "FR", "ship") == "global"
    assert name(None, "DE", "ship") == "germany"


def test_precedence_breaks_ties_between_equally_specific_strategies(channel):
    _strategy("a by channel", channel=channel, precedence=1)
    _strategy("b by country", destination_country="DE", precedence=5)
    chosen = strategy_for_context(channel=channel, country="DE", delivery_type="ship")
    assert chosen.config.name == "b by country"


def test_the_chosen_config_carries_the_versions_rules(channel):
    version = _strategy("web", channel=channel)
    StrategyVersion.objects.filter(pk=version.pk).update(
        rating_weights={"geodistance": 2.0}, split_allowed=False, max_distance_km=300
    )
    chosen = strategy_for_context(channel=channel, country="DE", delivery_type="ship")
    assert chosen.version == version
    assert chosen.config.version == 1
    assert dict(chosen.config.rating_weights) == {"geodistance": 2.0}
    assert chosen.config.split.allowed is False
    assert chosen.config.max_distance_km == 300


# --- versions -------------------------------------------------------------------------------


def test_activation_retires_the_previous_version():
    v1 = _strategy("default")
    v2 = services.strategy_draft_create(strategy=v1.strategy, actor="user:anna")
    assert (v2.number, v2.status) == (2, Draft)
    services.strategy_version_activate(version=v2, actor="user:anna")
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v1.status == Retired
    assert v2.status == Active
    assert v2.activated_by == "user:anna"
    assert v2.activated_at is not None
    chosen = strategy_for_context(channel=None, country="DE", delivery_type="ship")
    assert chosen.version == v2


def test_a_draft_is_copied_from_the_active_version():
    v1 = _strategy("default")
    StrategyVersion.objects.filter(pk=v1.pk).update(
        rating_weights={"geodistance": 1.0, "priority": 0.5}, max_parts=2
    )
    draft = services.strategy_draft_create(strategy=v1.strategy, actor="user:anna")
    assert draft.rating_weights == {"geodistance": 1.0, "priority": 0.5}
    assert draft.max_parts == 2
    assert draft.created_by == "user:anna"


def test_only_a_draft_can_be_activated():
    v1 = _strategy("default")
    with pytest.raises(StrategyNotDraft) as info:
        services.strategy_version_activate(version=v1, actor="user:anna")
    assert info.value.code == "strategy_not_draft"


@pytest.mark.parametrize(
    "rules",
    [
        {"rating_weights": {"astrology": 1.0}},
        {"rating_weights": {"geodistance": -1.0}},
        {"rating_weights": {"geodistance": "heavy"}},
        {"rating_weights": ["geodistance"]},
        {"tag_preferences": {"flagship": "yes"}},
        {"max_distance_km": -5},
    ],
)
def test_an_invalid_config_is_refused_with_strategy_invalid(rules):
    v1 = _strategy("default")
    draft = services.strategy_draft_create(strategy=v1.strategy, actor="user:anna")
    StrategyVersion.objects.filter(pk=draft.pk).update(**rules)
    with pytest.raises(StrategyInvalid) as info:
        services.strategy_version_activate(version=draft, actor="user:anna")
    assert info.value.code == "strategy_invalid"
    assert info.value.status == 422
    assert info.value.details["problems"]
    v1.refresh_from_db()
    draft.refresh_from_db()
    assert (v1.status, draft.status) == (Active, Draft)


def test_only_one_version_per_strategy_can_be_active():
    from django.db import IntegrityError

    v1 = _strategy("default")
    with pytest.raises(IntegrityError):
        StrategyVersion.objects.create(strategy=v1.strategy, number=2, status=Active)


# --- admin ----------------------------------------------------------------------------------


def _change_url(version: StrategyVersion) -> str:
    return f"/admin/routing/strategyversion/{version.pk}/change/"


CHANGELIST = "/admin/routing/strategyversion/"


def _form(**overrides):  # type: ignore[no-untyped-def]
    data = {
        "notes": "",
        "max_distance_km": "",
        "weight_shipping_cost": "1",
        "tag_preferences_text": "",
        "split_allowed": "on",
        "max_parts": "",
        "min_part_value": "0",
        "transfer_days": "2",
        "_save": "Save",
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff(db):  # type: ignore[no-untyped-def]
    """A staff member who may edit strategy versions but not activate them."""
    user = User.objects.create_user("editor", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="routing",
            codename__in=[
                "view_routingstrategy",
                "view_strategyversion",
                "change_strategyversion",
                "add_strategyversion",
            ],
        )
    )
    return user


def test_a_draft_is_editable_in_the_admin(admin_client):
    draft = _strategy("default", status=Draft)
    page = admin_client.get(_change_url(draft))
    assert page.status_code == 200
    content = page.content.decode()
    assert 'name="rating_weights"' not in content  # no raw JSON: one number per rating
    for name in RATING_NAMES:
        assert f'name="weight_{name}"' in content
    assert 'name="distance_fence"' in content and "lways applied" in content
    response = admin_client.post(
        _change_url(draft),
        _form(
            weight_shipping_cost="0",
            weight_geodistance="2",
            max_parts="2",
            distance_fence="on",
            max_distance_km="300",
            tag_preferences_text="flagship: 2, outlet: -1",
        ),
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.rating_weights == {"geodistance": 2}
    assert draft.max_parts == 2
    assert draft.max_distance_km == 300
    assert draft.tag_preferences == {"flagship": 2, "outlet": -1}
    page = admin_client.get(_change_url(draft)).content.decode()
    assert 'name="weight_geodistance" value="2.0"' in page or 'value="2"' in page


def test_an_unticked_distance_fence_has_no_limit(admin_client):
    draft = _strategy("default", status=Draft)
    StrategyVersion.objects.filter(pk=draft.pk).update(max_distance_km=100)
    admin_client.post(_change_url(draft), _form(max_distance_km="100"))
    draft.refresh_from_db()
    assert draft.max_distance_km is None


def test_the_admin_shows_why_a_draft_is_invalid(admin_client):
    draft = _strategy("default", status=Draft)
    response = admin_client.post(
        _change_url(draft), _form(weight_shipping_cost="0", tag_preferences_text="flagship")
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "errornote" in content
    assert "Give at least one rating a weight above 0." in content
    assert "Write each preference as tag: bonus" in content
    draft.refresh_from_db()
    assert draft.rating_weights == {}


@pytest.mark.parametrize("status", [Active, Retired])
def test_active_and_retired_versions_are_read_only_in_the_admin(admin_client, status):
    version = _strategy("default", status=status)
    page = admin_client.get(_change_url(version))
    assert page.status_code == 200
    content = page.content.decode()
    for field in ("weight_geodistance", "max_distance_km", "split_allowed", "notes"):
        assert f'name="{field}"' not in content
    response = admin_client.post(
        _change_url(version), _form(weight_geodistance="9", notes="sneaky")
    )
    assert response.status_code == 403
    version.refresh_from_db()
    assert version.rating_weights != {"geodistance": 9}
    assert version.notes == ""
    delete = admin_client.post(
        f"/admin/routing/strategyversion/{version.pk}/delete/", {"post": "yes"}
    )
    assert delete.status_code == 403
    assert StrategyVersion.objects.filter(pk=version.pk).exists()


def test_activate_action_activates_and_audits(admin_client):
    v1 = _strategy("default")
    v2 = services.strategy_draft_create(strategy=v1.strategy, actor="test")
    confirm = admin_client.post(CHANGELIST, {"action": "activate", "_selected_action": [v2.pk]})
    assert 'id="confirm-activate"' in confirm.content.decode()  # the summary comes first
    v2.refresh_from_db()
    assert v2.status == Draft
    response = admin_client.post(
        CHANGELIST,
        {"action": "activate", "_selected_action": [v2.pk], "confirm": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (Retired, Active)
    assert v2.activated_by == "user:admin"
    entry = LogEntry.objects.get(object_id=str(v2.pk), action_flag=CHANGE)
    assert "Activated v2; retired v1" in entry.get_change_message()


def test_activate_action_reports_an_invalid_draft(admin_client):
    v1 = _strategy("default")
    v2 = services.strategy_draft_create(strategy=v1.strategy, actor="test")
    StrategyVersion.objects.filter(pk=v2.pk).update(rating_weights={"astrology": 1})
    response = admin_client.post(
        CHANGELIST,
        {"action": "activate", "_selected_action": [v2.pk], "confirm": "yes"},
        follow=True,
    )
    content = response.content.decode()
    assert "was not activated" in content
    assert "astrology" in content
    assert "strategy_invalid" not in content  # agents read words, not the error code
    v2.refresh_from_db()
    assert v2.status == Draft


def test_activate_action_refuses_two_drafts_of_one_strategy(admin_client):
    v1 = _strategy("default", status=Draft)
    v2 = services.strategy_draft_create(strategy=v1.strategy, actor="test")
    admin_client.post(
        CHANGELIST,
        {"action": "activate", "_selected_action": [v1.pk, v2.pk], "confirm": "yes"},
    )
    assert not StrategyVersion.objects.filter(status=Active).exists()


def test_activating_needs_the_permission(client, staff):
    draft = _strategy("default", status=Draft)
    client.force_login(staff)
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert 'value="activate"' not in page.content.decode()
    client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [draft.pk], "confirm": "yes"}
    )
    draft.refresh_from_db()
    assert draft.status == Draft

    staff.user_permissions.add(Permission.objects.get(codename="activate_strategyversion"))
    staff = User.objects.get(pk=staff.pk)  # drop the permission cache
    client.force_login(staff)
    assert 'value="activate"' in client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST, {"action": "activate", "_selected_action": [draft.pk], "confirm": "yes"}
    )
    draft.refresh_from_db()
    assert draft.status == Active


def test_create_draft_from_a_version(admin_client):
    v1 = _strategy("default")
    StrategyVersion.objects.filter(pk=v1.pk).update(rating_weights={"priority": 1.0})
    admin_client.post(CHANGELIST, {"action": "create_draft_from", "_selected_action": [v1.pk]})
    draft = StrategyVersion.objects.get(strategy=v1.strategy, number=2)
    assert draft.status == Draft
    assert draft.rating_weights == {"priority": 1.0}
    assert draft.notes == "Copied from v1"


def test_a_new_strategy_in_the_admin_starts_with_a_draft(admin_client):
    response = admin_client.post(
        "/admin/routing/routingstrategy/add/",
        {
            "name": "Click & collect DE",
            "description": "",
            "destination_country": "DE",
            "delivery_type": "click_collect",
            "precedence": "0",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    strategy = RoutingStrategy.objects.get(name="Click & collect DE")
    assert [(v.number, v.status) for v in strategy.versions.all()] == [(1, Draft)]
    listing = admin_client.get(f"/admin/routing/routingstrategy/{strategy.pk}/change/")
    assert listing.status_code == 200
    assert "Draft" in listing.content.decode()


def test_the_admin_normalises_the_strategy_country(admin_client):
    form = {
        "name": "France",
        "description": "",
        "destination_country": "fr",
        "delivery_type": "",
        "precedence": "0",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
    }
    assert admin_client.post("/admin/routing/routingstrategy/add/", form).status_code == 302
    assert RoutingStrategy.objects.get(name="France").destination_country == "FR"
    bad = admin_client.post(
        "/admin/routing/routingstrategy/add/",
        {**form, "name": "Nowhere", "destination_country": "1x"},
    )
    assert bad.status_code == 200
    assert "alpha-2" in bad.content.decode()
