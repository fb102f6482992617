"""Arguments the schema says the tool does not read under the other arguments' values (conditional_fields.py)."""

from __future__ import annotations

from loopcache.toolcache.canonical import canonicalize_args


def same(a: dict, b: dict, schema: dict) -> bool:
    return canonicalize_args(a, schema) == canonicalize_args(b, schema)


def obj(**properties: dict) -> dict:
    return {"type": "object", "properties": properties}


def test_ignored_when_a_sibling_has_a_value_or_its_default() -> None:
    schema = obj(fulfilment={"type": "string", "enum": ["merchant", "marketplace"], "default": "merchant"},
                 package={"type": "object", "description": "the parcel; used only to price marketplace fulfilment and "
                                                           "ignored when fulfilment is 'merchant'"})
    parcel = {"package": {"weight": 400}}
    assert same({}, parcel, schema) and same({"fulfilment": "merchant"}, parcel, schema)
    assert not same({"fulfilment": "marketplace"}, {"fulfilment": "marketplace", **parcel}, schema)


def test_ignored_when_a_sibling_is_given_and_only_used_with_a_flag() -> None:
    schema = obj(version={"type": "string"}, limit={"type": "integer", "default": 10,
                                                    "description": "Not read when version is given"},
                 include_forecast={"type": "boolean", "default": False},
                 days={"type": "integer", "description": "forecast days, only used with include_forecast"})
    assert same({"version": "1.2"}, {"version": "1.2", "limit": 3}, schema)
    assert not same({}, {"limit": 3}, schema)
    assert same({}, {"days": 5}, schema) and same({"include_forecast": False}, {"days": 5}, schema)
    assert not same({"include_forecast": True}, {"include_forecast": True, "days": 5}, schema)


def test_ignored_unless_a_value_is_among_an_array_or_a_sibling_enum_has_it() -> None:
    schema = obj(checks={"type": "array", "items": {"type": "string"}, "default": ["spf", "dkim"]},
                 selectors={"type": "array", "description": "Ignored when 'dkim' is not among the checks."},
                 model={"type": "string", "enum": ["free_space", "two_ray"], "default": "free_space"},
                 height={"type": "number", "description": "Only read by 'two_ray'; ignored by 'free_space'."})
    assert same({"checks": ["spf"]}, {"checks": ["spf"], "selectors": ["s1"]}, schema)
    assert not same({}, {"selectors": ["s1"]}, schema)  # dkim is checked by default
    assert same({}, {"height": 30}, schema) and not same({"model": "two_ray"}, {"model": "two_ray", "height": 30},
                                                         schema)


def test_a_sentence_about_something_else_or_an_unknown_sibling_keeps_the_argument() -> None:
    schema = obj(exact={"type": "boolean", "default": False},
                 name={"type": "string", "description": "name to find. Case is ignored when exact is set"},
                 region={"type": "string", "description": "ignored when `page` is a URL"},
                 size={"type": "string", "description": "ignored when mode is 'auto'"})
    assert not same({"exact": True, "name": "a"}, {"exact": True}, schema)
    assert not same({"region": "eu"}, {}, schema) and not same({"size": "xl"}, {}, schema)


def test_only_used_with_a_sibling_value_and_among_an_array_named_in_other_words() -> None:
    schema = obj(value_format={"type": "string", "enum": ["engineering", "raw"], "default": "engineering"},
                 unit_system={"type": "string", "description": "Only used with value_format 'engineering'; "
                                                               "ignored with 'raw'."},
                 include={"type": "array", "items": {"type": "string", "enum": ["stock", "suppliers"]}},
                 reserved={"type": "boolean", "default": False,
                           "description": "Only read when 'stock' is among the sections; otherwise ignored."},
                 direction={"type": "string", "enum": ["both", "ancestors"], "default": "both"},
                 since={"type": "string", "description": "Ancestors are never filtered by time, so this argument is "
                                                         "ignored when direction is 'ancestors'."})
    assert same({"value_format": "raw"}, {"value_format": "raw", "unit_system": "us"}, schema)
    assert not same({}, {"unit_system": "us"}, schema)
    assert same({"include": ["suppliers"]}, {"include": ["suppliers"], "reserved": True}, schema)
    assert not same({"include": ["stock"]}, {"include": ["stock"], "reserved": True}, schema)
    assert same({"direction": "ancestors"}, {"direction": "ancestors", "since": "2026-01-01T00:00:00Z"}, schema)
    assert not same({}, {"since": "2026-01-01T00:00:00Z"}, schema)


def test_only_read_when_an_array_contains_a_value() -> None:
    schema = obj(stats={"type": "array", "items": {"type": "string"}, "default": ["triangles"]},
                 bounds_unit={"type": "string", "default": "cm",
                              "description": "Only read when stats contains 'bounds'; ignored otherwise."},
                 group_by={"type": "array", "items": {"type": "string"}, "default": []},
                 timezone={"type": "string", "default": "UTC",
                           "description": "Only read when group_by contains 'hour' or 'day'; ignored otherwise."})
    assert same({}, {"stats": ["triangles"], "bounds_unit": "m"}, schema)  # given or not, unread
    assert not same({"stats": ["bounds"]}, {"stats": ["bounds"], "bounds_unit": "m"}, schema)
    assert same({}, {"timezone": "Europe/Paris"}, schema)
    assert not same({"group_by": ["day"]}, {"group_by": ["day"], "timezone": "Europe/Paris"}, schema)


def test_ignored_with_a_sibling_named_bare() -> None:
    schema = obj(pathway_id={"type": "string"}, genes={"type": "array"},
                 species={"type": "string", "default": "human",
                          "description": "Species searched with 'genes'. Ignored with pathway_id, whose id carries it."})
    assert same({"pathway_id": "hsa04110"}, {"pathway_id": "hsa04110", "species": "mouse"}, schema)
    assert not same({"genes": ["TP53"]}, {"genes": ["TP53"], "species": "mouse"}, schema)


def test_read_only_under_one_value_of_a_sibling_or_unless_one_of_two_is_given() -> None:
    schema = obj(include_trips={"type": "boolean", "default": False},
                 trips_limit={"type": "integer", "default": 10, "description": "Ignored unless include_trips is true."},
                 method={"type": "string", "enum": ["shap", "gain"], "default": "shap"},
                 samples={"type": "integer", "description": "Only used when method is 'shap'; ignored for 'gain'"},
                 split={"type": "string", "description": "evaluation split. Ignored for method 'gain'"},
                 version={"type": "integer"}, alias={"type": "string"},
                 stage={"type": "string", "description": "Ignored when version or alias is given."})
    assert same({}, {"trips_limit": 25}, schema)
    assert not same({"include_trips": True}, {"include_trips": True, "trips_limit": 25}, schema)
    assert same({"method": "gain"}, {"method": "gain", "samples": 500, "split": "test"}, schema)
    assert not same({}, {"samples": 500}, schema) and not same({}, {"split": "test"}, schema)
    assert same({"alias": "champion"}, {"alias": "champion", "stage": "Production"}, schema)
    assert not same({}, {"stage": "Production"}, schema)


def test_ignored_when_a_sibling_is_omitted_and_read_for_some_values_only() -> None:
    schema = obj(classes={"type": "array", "items": {"type": "string"}},
                 include_subclasses={"type": "boolean", "default": True,
                                     "description": "Also match subclasses. Ignored when classes is omitted."},
                 chart={"type": "string", "enum": ["xbar_r", "xbar_s", "i_mr"], "default": "xbar_r"},
                 subgroup_size={"type": "integer", "default": 5,
                                "description": "measurements per subgroup, for 'xbar_r' and 'xbar_s' only"})
    assert same({}, {"include_subclasses": False}, schema)
    assert not same({"classes": ["Light"]}, {"classes": ["Light"], "include_subclasses": False}, schema)
    assert same({"chart": "i_mr"}, {"chart": "i_mr", "subgroup_size": 4}, schema)
    assert not same({"chart": "xbar_s"}, {"chart": "xbar_s", "subgroup_size": 4}, schema)
    assert not same({}, {"subgroup_size": 4}, schema)  # the default chart reads it


def test_an_argument_that_when_given_makes_the_tool_ignore_others() -> None:
    schema = obj(uprn={"type": "string", "description": "property number. When given, postcode and house are ignored."},
                 postcode={"type": "string"}, house={"type": "string"}, bins={"type": "string"},
                 number={"type": "string", "description": "When given, that report is returned and every other "
                                                          "argument is ignored."},
                 text={"type": "string"})
    assert same({"uprn": "100"}, {"uprn": "100", "postcode": "NR2 4PH", "house": "9"}, schema)
    assert not same({"uprn": "100"}, {"uprn": "100", "bins": "food"}, schema)  # not named: read
    assert not same({"postcode": "NR2 4PH"}, {"postcode": "NR2 4PH", "house": "9"}, schema)  # no uprn: read
    assert same({"number": "7"}, {"number": "7", "text": "porosity", "bins": "x"}, schema)
    assert not same({"number": "7"}, {"number": "8"}, schema)


def test_other_wordings_of_unless_used_only_when_and_values_that_ignore_it() -> None:
    schema = obj(critical_only={"type": "boolean", "default": False},
                 threshold={"type": "integer", "default": 0,
                            "description": "Float threshold. Has no effect unless critical_only is true."},
                 value={"type": "string", "enum": ["lx", "qx"], "default": "qx"},
                 radix={"type": "integer", "default": 100000, "description": "Used only when value is 'lx'."},
                 sections={"type": "array", "items": {"type": "string"}, "default": ["summary"]},
                 breakdown={"type": "string", "description": "Ignored unless sections contains 'sizes'."},
                 view={"type": "string", "enum": ["pools", "stats", "clients"], "default": "pools"},
                 limit={"type": "integer", "default": 100,
                        "description": "row cap for clients; pools and stats always return one row and ignore it"},
                 store={"type": "string", "enum": ["play", "app_store"], "default": "play"},
                 track={"type": "string", "description": "Play track. One phased release, so this is ignored when "
                                                         "store is app_store."})
    assert same({}, {"threshold": 10}, schema) and not same({"critical_only": True},
                                                            {"critical_only": True, "threshold": 10}, schema)
    assert same({}, {"radix": 1000}, schema) and not same({"value": "lx"}, {"value": "lx", "radix": 1000}, schema)
    assert same({}, {"breakdown": "install"}, schema)
    assert not same({"sections": ["sizes"]}, {"sections": ["sizes"], "breakdown": "install"}, schema)
    assert same({"view": "stats"}, {"view": "stats", "limit": 5}, schema) and same({}, {"limit": 5}, schema)
    assert not same({"view": "clients"}, {"view": "clients", "limit": 5}, schema)
    assert same({"store": "app_store"}, {"store": "app_store", "track": "beta"}, schema)
    assert not same({}, {"track": "beta"}, schema)


def test_used_only_when_a_sibling_is_absent() -> None:
    schema = obj(bin={"type": "string"}, warehouse={"type": "string"},
                 sku={"type": "string", "description": "the bins this SKU is in. Used only when 'bin' is absent."})
    assert same({"bin": "A-1"}, {"bin": "A-1", "sku": "HX-1"}, schema)
    assert not same({"warehouse": "W"}, {"warehouse": "W", "sku": "HX-1"}, schema)
    assert not same({"sku": "HX-22810"}, {"sku": "HX-22801"}, schema)


def test_ignored_whenever_given_among_an_array_unless_and_contains_neither() -> None:
    schema = obj(start={"type": "string"},
                 lookback_days={"type": "integer", "default": 30, "description": "Ignored whenever start is given."},
                 metrics={"type": "array", "items": {"type": "string"}, "default": ["power"]},
                 unit={"type": "string", "default": "C",
                       "description": "default C. has no effect unless temperature is among the metrics"},
                 types={"type": "array", "items": {"type": "string"}},
                 state={"type": "string", "description": "It narrows the licence rows, so this field has no effect "
                                                         "when types contains neither licence nor dea."})
    assert same({"start": "x"}, {"start": "x", "lookback_days": 7}, schema)
    assert not same({}, {"lookback_days": 7}, schema)
    assert same({}, {"unit": "F"}, schema)
    assert not same({"metrics": ["temperature"]}, {"metrics": ["temperature"], "unit": "F"}, schema)
    assert same({"types": ["board"]}, {"types": ["board"], "state": "TX"}, schema)
    assert not same({"types": ["dea"]}, {"types": ["dea"], "state": "TX"}, schema)


def test_when_the_argument_itself_is_given_only_matters_for_and_used_when_no_sibling() -> None:
    schema = obj(count_id={"type": "string", "description": "A count. The count knows its outlet and date, so when "
                                                            "count_id is given, outlet and count_date are ignored."},
                 outlet={"type": "string"}, count_date={"type": "string"},
                 granularity={"type": "string", "enum": ["day", "week"], "default": "day"},
                 week_start={"type": "string", "default": "monday",
                             "description": "only matters for granularity 'week' and is ignored otherwise"},
                 entitlement_id={"type": "string"},
                 application={"type": "string", "description": "Used with value when no entitlement_id is given."})
    assert same({"count_id": "SC-1"}, {"count_id": "SC-1", "outlet": "bar", "count_date": "2027-01-31"}, schema)
    assert not same({"outlet": "bar"}, {"outlet": "bar", "count_date": "2027-01-31"}, schema)
    assert same({}, {"week_start": "sunday"}, schema)
    assert not same({"granularity": "week"}, {"granularity": "week", "week_start": "sunday"}, schema)
    assert same({"entitlement_id": "E1"}, {"entitlement_id": "E1", "application": "sap"}, schema)
    assert not same({}, {"application": "sap"}, schema)


def test_disregarded_irrelevant_meaningless_and_values_written_name_equals_value() -> None:
    schema = obj(msn={"type": "string", "description": "Takes priority: when msn is given the registration argument "
                                                      "is disregarded."},
                 registration={"type": "string"},
                 include_images={"type": "boolean", "default": False},
                 image_size={"type": "string", "description": "meaningless unless include_images is true"},
                 show={"type": "string", "enum": ["free", "all", "booked"], "default": "free"},
                 min_free={"type": "integer", "default": 30, "description": "Not used for show=all or show=booked."})
    assert same({"msn": "1234"}, {"msn": "1234", "registration": "VH-VXA"}, schema)
    assert not same({}, {"registration": "VH-VXA"}, schema)
    assert same({}, {"image_size": "full"}, schema)
    assert not same({"include_images": True}, {"include_images": True, "image_size": "full"}, schema)
    assert same({"show": "booked"}, {"show": "booked", "min_free": 60}, schema)
    assert not same({}, {"min_free": 60}, schema)
