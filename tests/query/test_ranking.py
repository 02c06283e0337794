"""Best-match arithmetic: the tables both compilers are built from, and the weights config."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from rediscover.indexer.documents import ApplicationDoc
from rediscover.query.ranking import RankingWeights, application_points, recency_points

NOW = datetime(2025, 1, 1, tzinfo=timezone.utc)
W = RankingWeights()


def test_milestone_points_rise_to_the_weight_at_offer():
    assert W.milestone_points() == {1: 0, 2: 10, 3: 20, 4: 30, 5: 40, 6: 50}


@pytest.mark.parametrize(
    ("days", "points"),
    [(1, -40), (89, -40), (90, 20), (144, 20), (145, 19), (1170, 1), (1171, 0), (5000, 0)],
)
def test_recency_cool_off_then_slow_decay(days, points):
    assert recency_points(NOW - timedelta(days=days), W, NOW) == points


def test_no_activity_date_is_neutral():
    assert recency_points(None, W, NOW) == 0


@pytest.mark.parametrize(
    ("positive", "negative", "tenths"), [(1, 0, 10), (2, 1, 7), (1, 2, 3), (1, 1, 5), (0, 3, 0)]
)
def test_ratio_tenths_round_half_up(positive, negative, tenths):
    app = ApplicationDoc(1, 1, 1, "t", "closed", positive=positive, negative=negative)
    assert app.ratio_tenths == tenths


def test_strong_cards_are_capped():
    many = {"ratio_tenths": 10, "strong_yes": 5, "strong_no": 0}
    two = {"ratio_tenths": 10, "strong_yes": 2, "strong_no": 0}
    assert application_points(many, W, NOW)["consensus"] == application_points(two, W, NOW)["consensus"]


def test_weights_from_config():
    w = RankingWeights.from_mapping({"MILESTONE": 60, "cool_off_days": 30})
    assert (w.milestone, w.cool_off_days, w.keyword) == (60, 30, 40)
    with pytest.raises(ValueError, match="Unknown"):
        RankingWeights.from_mapping({"charm": 3})
    with pytest.raises(ValueError, match="whole number"):
        RankingWeights.from_mapping({"milestone": -1})
    with pytest.raises(ValueError, match="whole number"):
        RankingWeights.from_mapping({"milestone": 1.5})
