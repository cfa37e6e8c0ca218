"""The routing map's projection: north is up, east is right, everything inside the box,
chosen locations drawn last, links from a chosen location to the destination."""

from __future__ import annotations

from routing.route_map import CHOSEN, FENCED, RATED, MapPlace, route_map

BERLIN = (52.52, 13.40)
MUNICH = (48.14, 11.58)
HAMBURG = (53.55, 9.99)


def test_places_keep_their_compass_directions_inside_the_box():
    drawn = route_map(
        places=[
            MapPlace(1, "wh-berlin", *BERLIN, CHOSEN),
            MapPlace(2, "wh-munich", *MUNICH, FENCED, "no stock"),
            MapPlace(3, "store-hamburg", *HAMBURG, RATED),
            MapPlace(4, "nowhere", None, None, RATED),
        ],
        destination=(52.53, 13.38),
        links=[(1, None)],
    )
    assert drawn is not None
    at = {p.code: p for p in drawn.points}
    assert at["wh-munich"].y > at["wh-berlin"].y  # south is further down
    assert at["store-hamburg"].x < at["wh-berlin"].x  # west is further left
    for p in [*drawn.points, drawn.destination]:
        assert 0 <= p.x <= drawn.width and 0 <= p.y <= drawn.height
    assert [p.code for p in drawn.points][-1] == "wh-berlin"
    assert drawn.chosen_codes == ["wh-berlin"]
    assert at["wh-munich"].note == "no stock"
    assert drawn.unplaced == ["nowhere"]
    [link] = drawn.links
    assert (link.x1, link.y1) == (at["wh-berlin"].x, at["wh-berlin"].y)
    assert (link.x2, link.y2) == (drawn.destination.x, drawn.destination.y)


def test_nothing_to_draw_without_coordinates():
    assert route_map(places=[MapPlace(1, "x", None, None, RATED)], destination=None) is None


def test_a_single_point_sits_in_the_middle():
    drawn = route_map(places=[MapPlace(1, "a", *BERLIN, CHOSEN)], destination=BERLIN)
    assert drawn is not None
    assert (drawn.points[0].x, drawn.points[0].y) == (drawn.width / 2, drawn.height / 2)
