"""Known-answer tests of slate construction."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pathfinder.recommender._slate import build_slate, position_discount


def test_likely_items_lead_and_gap_closers_fill_the_later_positions() -> None:
    # items 0-2: likely taken, close nothing; items 3-5: never taken, close the gaps
    take = np.array([0.9, 0.8, 0.7, 0.0, 0.0, 0.0])
    closure = np.array([0.0, 0.0, 0.0, 1.0, 0.9, 0.8])
    skills = np.array([0, 1, 2, 3, 4, 5])
    order, value = build_slate(take, closure, skills, gain_weight=0.5, size=6)
    assert order[:2].tolist() == [0, 1]  # position 0-1 value (0.9, 0.8 x 0.63) beats 0.5
    assert set(order.tolist()) == set(range(6))
    assert np.all(np.diff(value) <= 1e-12)
    # without a gain weight the slate is the ranking by chance of being taken
    order0, _ = build_slate(take, closure, skills, gain_weight=0.0, size=6)
    assert order0[:3].tolist() == [0, 1, 2]
    # with a large one, by closure
    order_big, _ = build_slate(take, closure, skills, gain_weight=100.0, size=6)
    assert order_big[:3].tolist() == [3, 4, 5]


def test_repeated_gap_skill_is_discounted() -> None:
    take = np.zeros(3)
    closure = np.array([1.0, 0.9, 0.7])
    same = np.array([0, 0, 1])  # items 0 and 1 close the same skill
    order, _ = build_slate(take, closure, same, gain_weight=1.0, size=3, decay=0.6)
    assert order.tolist() == [0, 2, 1]  # 0.9 x 0.6 < 0.7
    order_nodecay, _ = build_slate(take, closure, same, gain_weight=1.0, size=3, decay=1.0)
    assert order_nodecay.tolist() == [0, 1, 2]


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 30).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0, 1), min_size=n, max_size=n),
            st.lists(st.floats(0, 5), min_size=n, max_size=n),
            st.lists(st.integers(0, 4), min_size=n, max_size=n),
        )
    ),
    st.integers(1, 12),
    st.floats(0, 2),
)
def test_slate_is_a_permutation_with_non_increasing_value(
    data: tuple[list[float], list[float], list[int]], size: int, weight: float
) -> None:
    take, closure, skills = (np.array(x) for x in data)
    order, value = build_slate(take, closure, skills, weight, size)
    assert sorted(order.tolist()) == list(range(len(take)))
    assert np.all(np.diff(value) <= 1e-12)


def test_position_discount_is_ndcg_weight() -> None:
    assert np.allclose(position_discount(3), [1.0, 1 / np.log2(3), 0.5])
