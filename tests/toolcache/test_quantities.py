"""A number with a unit field of its own is compared in its dimension's base unit (quantities.py)."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.quantities import in_base_units

SCHEMA = {"type": "object", "properties": {
    "radius": {"type": "number", "default": 5}, "radius_unit": {"type": "string", "enum": ["km", "mi", "m"],
                                                                "default": "km"},
    "lat": {"type": "number"}}}


def canonical(**args: object) -> dict:
    return canonicalize_args(args, SCHEMA)


@pytest.mark.parametrize(("a", "b", "equal"), [
    ({"radius": 1.5, "radius_unit": "km"}, {"radius": 1500, "radius_unit": "m"}, True),
    ({"radius": 1.5}, {"radius": 1500, "radius_unit": "m"}, True),  # the unit's default counts
    ({}, {"radius": 5000, "radius_unit": "m"}, True),  # and the number's
    ({"radius": 1, "radius_unit": "mi"}, {"radius": 1609.344, "radius_unit": "m"}, True),
    ({"radius": 0.1, "radius_unit": "mi"}, {"radius": 160.9344, "radius_unit": "m"}, True),
    ({"radius": 1, "radius_unit": "mi"}, {"radius": 1.609, "radius_unit": "km"}, False),  # close is not equal
    ({"radius": 1.6, "radius_unit": "km"}, {"radius": 1, "radius_unit": "mi"}, False),
    ({"radius": 1500, "radius_unit": "km"}, {"radius": 1500, "radius_unit": "m"}, False),
])
def test_one_quantity_in_two_units(a: dict, b: dict, equal: bool) -> None:
    assert (canonical(**a) == canonical(**b)) is equal


def test_the_other_numbers_are_left_alone() -> None:
    assert canonical(radius=2, radius_unit="km", lat=51.5) == {"radius": 2000, "radius_unit": "m", "lat": 51.5}


def test_a_lone_unit_measures_a_lone_quantity_or_amount() -> None:
    assert in_base_units({"food": "milk", "quantity": 1, "unit": "l"}) == \
        in_base_units({"food": "milk", "quantity": 1000, "unit": "ml"}) == {"food": "milk", "quantity": 1, "unit": "l"}
    assert in_base_units({"amount": 2, "unit": "kg"}) == {"amount": 2000, "unit": "g"}
    assert in_base_units({"quantity": 1, "unit": "oz"}) != in_base_units({"quantity": 28, "unit": "g"})
    both = {"quantity": 1, "amount": 2, "unit": "kg"}  # which one does it measure? neither is converted
    assert in_base_units(both) == both


def test_a_lone_unit_measures_a_value_or_every_measure_of_a_box() -> None:
    assert in_base_units({"value": 1, "unit": "lb"}) == in_base_units({"value": 16, "unit": "oz"})
    box = in_base_units({"length": 12, "width": 10, "height": 8, "unit": "in"})
    assert box == in_base_units({"length": 30.48, "width": 25.4, "height": 20.32, "unit": "cm"})
    assert box != in_base_units({"length": 30.5, "width": 25.4, "height": 20.32, "unit": "cm"})  # not exact
    mixed = {"length": 12, "width": 10, "count": 3, "unit": "in"}  # a number that is not a measure: left alone
    assert in_base_units(mixed) == mixed


@pytest.mark.parametrize("args", [
    {"distance": 2, "unit": "km"},  # a lone unit field may choose the answer's units: not bound to a number
    {"size": 2, "size_unit": "kb"},  # 1000 or 1024 bytes: no exact conversion
    {"temp": 20, "temp_unit": "degc"},  # an offset, not a factor
    {"radius": "2", "radius_unit": "km"},  # not a number
    {"radius": True, "radius_unit": "km"},
    {"radius": 2, "radius_unit": "parsecs"},
])
def test_left_as_written(args: dict) -> None:
    assert in_base_units(args) == args


def test_names_in_camel_case_and_plural_units() -> None:
    assert in_base_units({"maxWeight": 2, "maxWeightUnits": "lb"}) == {"maxWeight": 907.18474, "maxWeightUnits": "g"}
    assert in_base_units({"timeout": 1.5, "timeout_unit": "min"}) == {"timeout": 90, "timeout_unit": "sec"}


def test_days_and_weeks_as_lengths_of_time_but_not_as_buckets_of_a_series() -> None:
    window = in_base_units({"value": 1, "unit": "week"})
    assert window == in_base_units({"value": 7, "unit": "days"}) == in_base_units({"value": 168, "unit": "h"})
    assert in_base_units({"value": 2, "unit": "day"}) == in_base_units({"value": 48, "unit": "hours"})
    assert in_base_units({"value": 2, "unit": "day"}) != in_base_units({"value": 47, "unit": "hours"})
    assert in_base_units({"lookback": 1, "lookback_unit": "wk"}) == {"lookback": 604800, "lookback_unit": "sec"}
    for bucket in ({"interval": 1, "interval_unit": "week"}, {"bucket_size": 7, "bucket_size_unit": "day"}):
        assert in_base_units(bucket) == bucket  # weekly buckets start on a Monday, 7-day ones anywhere
    assert in_base_units({"interval": 2, "interval_unit": "h"}) == {"interval": 7200, "interval_unit": "sec"}
    assert in_base_units({"value": 1, "unit": "month"}) == {"value": 1, "unit": "month"}  # 28 to 31 days


def test_a_unit_named_for_a_measure_converts_its_bounds() -> None:
    assert in_base_units({"min_distance": 10, "distance_unit": "km"}) == {"min_distance": 10000, "distance_unit": "m"}
    five_miles = in_base_units({"min_distance": 5, "max_distance": 6, "distance_unit": "mi"})
    assert five_miles == in_base_units({"min_distance": 8.04672, "max_distance": 9.656064, "distance_unit": "km"})
    assert in_base_units({"min_distance": 5, "distance_unit": "mi"}) != in_base_units(
        {"min_distance": 8.05, "distance_unit": "km"})
    # a number that is not a bound of the measure is left alone
    assert in_base_units({"limit": 10, "distance_unit": "km"}) == {"limit": 10, "distance_unit": "km"}


def test_a_dimension_unit_measures_the_lengths_beside_it() -> None:
    inches = in_base_units({"length": 48, "width": 40, "height": 48, "weight": 500, "dimension_unit": "in"})
    cm = in_base_units({"length": 121.92, "width": 101.6, "height": 121.92, "weight": 500, "dimension_unit": "cm"})
    assert inches == cm and inches["weight"] == 500  # the weight is not a dimension
    assert in_base_units({"length": 48, "dimension_unit": "in"}) != in_base_units(
        {"length": 48, "dimension_unit": "cm"})


def test_frequencies_in_hertz_and_its_multiples() -> None:
    assert in_base_units({"frequency": 5.8, "frequency_unit": "GHz"}) == in_base_units(
        {"frequency": 5800, "frequency_unit": "MHz"}) == {"frequency": 5800000000, "frequency_unit": "Hz"}
    assert in_base_units({"frequency": 5.8, "frequency_unit": "GHz"}) != in_base_units(
        {"frequency": 5.8, "frequency_unit": "MHz"})
    assert in_base_units({"frequency": 5, "frequency_unit": "mHz"}) == {"frequency": 5, "frequency_unit": "mHz"}
