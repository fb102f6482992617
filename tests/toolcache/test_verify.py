"""The verify guards, on pairs that are NOT from the dev set: each guard rejects its kind of difference
whatever the similarity, and harmless differences (case, stop words, order, punctuation) pass."""

from __future__ import annotations

import pytest

from loopcache.toolcache.canonical import canonicalize_args
from loopcache.toolcache.verify import VerifyPolicy, has_free_text, verify_call

TEXT = {"type": "object", "properties": {"q": {"type": "string"}}}


def accepted(a: str, b: str, policy: VerifyPolicy = VerifyPolicy()) -> bool:
    return verify_call({"q": b}, {"q": a}, TEXT, policy).accepted


@pytest.mark.parametrize(
    ("a", "b", "guard"),
    [
        ("revenue in Q2 2023", "revenue in Q3 2023", "codes"),
        ("order #A1001 status", "order #A1002 status", "ids"),
        ("top 10 restaurants in Rome", "top 20 restaurants in Rome", "numbers"),
        ("price of 1,000 shares", "price of 10,000 shares", "numbers"),
        ("temperature -5 degrees", "temperature 5 degrees", "signed numbers"),
        ("events on 2024-05-01", "events on May 2, 2024", "dates"),
        ('error "connection refused"', 'error "Connection Refused"', "quoted strings"),
        ("hotels with pool", "hotels without pool", "negations"),
        ("restaurants that are open now", "restaurants that are not open now", "negations"),
        ("why doesn't my build fail", "why does my build fail", "negations"),
        ("weather in Springfield", "weather in Springfield, Illinois", "named entities"),
        ("flights to Lisbon", "flights from Lisbon", "relations"),
        ("books before 1900", "books after 1900", "relations"),
        ("10 - 3", "10 + 3", "operators"),
        ("cost in $", "cost in €", "currency"),
        ("cheap laptops", "expensive laptops", "content words"),
        ("rust async runtime", "rust sync runtime", "content words"),
        ("(4 + 6) * 2", "4 + 6 * 2", "parentheses"),
        ("9 - 4", "4 - 9", "operand order"),
        ("kafka OR pulsar", "kafka AND pulsar", "search operators"),
        ("kafka OR pulsar", "kafka pulsar", "search operators"),
        ("from 2019 to 2022", "from 2022 to 2019", "anchor order within a type"),
        ("4 beds 2 baths", "2 beds 4 baths", "anchor order within a type"),
        ("node 18.10 changelog", "node 18.1 changelog", "decimals as written"),
        ("biographies by Ada Lovelace", "biographies about Ada Lovelace", "relations"),
        ("Spanish to German dictionary", "German to Spanish dictionary", "relations"),
        ("100 GBP to JPY", "100 JPY to GBP", "currency order"),
        ("rates in yen", "rates in euros", "currencies"),
        ("museums in Salem, Oregon", "museums in Salem, Massachusetts", "states"),
        ("LA restaurants", "Louisiana restaurants", "a state only in address position"),
        ("weather in Oslo in May", "weather in Oslo", "the month"),
        ("C# generics", "C generics", "C#"),
        ("arXiv:2501.00001 citations", "doi:2501.00001 citations", "identifier schemes"),
        ("kafka OR pulsar benchmark", "pulsar benchmark OR kafka", "the operands of OR"),
        ("kafka OR pulsar benchmark", "kafka pulsar OR benchmark", "the operands of OR"),
        ("(today | overdue) & #Work", "today | (overdue & #Work)", "the grouping of a filter's |"),
        ("today | overdue work", "today overdue | work", "the operands of |"),
        ('dept eq "Finance" and status eq "ACTIVE"', 'dept eq "Finance" or status eq "ACTIVE"', "and / or"),
        ("pizza or pasta near me", "pizza pasta near me", "an or on one side"),
        ("Salem, Oregon", "Salem, Maine", "states that are stop words elsewhere ('or', 'me')"),
        ("Lafayette, IN", "Lafayette, LA", "states in address position"),
        ('"Malmö" hotels', '"Malmo" hotels', "quoted strings keep their accents"),
        ("Serie A table", "Série A table", "accents (Italy's league, Brazil's league)"),
        ("ticker CRM earnings", "ticker CRMS earnings", "a code in capitals spelled otherwise"),
        ("deploy alert in:#ops", "deploy alert in:#ops-alerts", "search modifiers (another channel)"),
    ],
)
def test_guards_reject_differences(a: str, b: str, guard: str) -> None:
    assert not accepted(a, b), guard


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("rust async runtime", "Rust Async Runtime"),
        ("how to reset a postgres password", "reset postgres password"),
        ("tokyo subway map", "subway map of Tokyo"),
        ("order #A1001 status", "status of order A1001"),
        ("GPT-4 context length", "gpt 4 context length"),
        ("events on 2024-05-01", "events on May 1st, 2024"),
        ("price of 1,000 shares", "price of 1000 shares"),
        ("best pizza recipes", "best pizza recipe"),
        ("Q1 2026 results Nokia", "Nokia results first quarter of 2026"),
        ("2026 Q1 results", "Q1 2026 results"),
        ("museums in Salem, Oregon", "museums in Salem, OR"),
        ("12 Elm Street, Salem", "12 Elm St, Salem"),
        ("Ft. Myers beaches", "Fort Myers beaches"),
        ("ten best hikes", "10 best hikes"),
        ("3 ft in cm", "3 feet in centimeters"),
        ("costs under $20", "costs under 20 dollars"),
        ("hikes near Denver in summer", "hikes in summer near Denver"),
        ("biographies by Ada Lovelace", "Ada Lovelace biographies"),
        ("arXiv:2501.00001 citations", "2501.00001 citations"),
        ("Postgres versus MySQL", "postgres vs mysql"),
        ("München Hbf", "München Hauptbahnhof"),
        ("kafka OR pulsar benchmark", "Kafka OR Pulsar benchmarks"),
        ("Salem, Oregon", "salem, OR"),
        ("KV cache compression for LLMs", "LLM KV cache compression"),
        ("INSTALL POSTGRES ON DEBIAN", "install postgres on debian"),
        ("is:open label:bug crash", "crash label:bug is:open"),
        ("deploy alert in:#ops.", "deploy alert IN:#OPS"),
    ],
)
def test_harmless_differences_pass(a: str, b: str) -> None:
    assert accepted(a, b)


def test_content_word_guard_can_be_relaxed_but_entities_still_hold() -> None:
    loose = VerifyPolicy(content_words=False)
    assert accepted("cheap laptops", "affordable laptops", loose)
    assert not accepted("cheap laptops", "affordable laptops")
    assert not accepted("weather Paris", "weather Lyon", loose)


def test_formatted_enum_and_non_string_fields_must_be_equal() -> None:
    schema = {"type": "object", "properties": {
        "path": {"type": "string", "format": "path"},
        "unit": {"type": "string", "enum": ["c", "f"]},
        "n": {"type": "integer"},
        "tags": {"type": "array", "items": {"type": "string"}},
    }}
    base = canonicalize_args({"path": "a/b", "unit": "c", "n": 1, "tags": ["x", "y"]}, schema)
    for change in ({"path": "a/B"}, {"unit": "f"}, {"n": 2}, {"tags": ["x"]}, {"tags": ["x", "z"]}):
        other = canonicalize_args({**base, **change}, schema)
        verdict = verify_call(other, base, schema)
        assert not verdict.accepted and verdict.reason, change
    assert verify_call(dict(base), base, schema).accepted
    assert not verify_call({**base, "extra": 1}, base, schema).accepted  # keys differ


def test_has_free_text_only_for_unformatted_strings() -> None:
    schema = {"type": "object", "properties": {"p": {"type": "string", "format": "path"}, "n": {"type": "integer"}}}
    assert not has_free_text({"p": "a", "n": 1}, schema)
    assert has_free_text({"p": "a", "q": "hello"}, schema)


def test_dev_set_verify_never_accepts_a_non_equivalent_pair(dev_pairs) -> None:
    pairs, tools = dev_pairs
    for pair in pairs:
        schema = tools[pair["tool"]]["parameters"]
        verdict = verify_call(canonicalize_args(pair["b"], schema), canonicalize_args(pair["a"], schema), schema)
        if not pair["equivalent"]:
            assert not verdict.accepted, pair


def test_entities_compare_like_words_regardless_of_case_and_plural() -> None:
    assert accepted("install postgres on debian", "INSTALL POSTGRES ON DEBIAN")
    assert accepted("Kubernetes Pods", "kubernetes pods")


def test_word_variants_are_accepted_only_with_a_similarity_condition() -> None:
    for a, b in [("how to index documents", "document indexing how-to"), ("log in with SSO", "SSO login"),
                 ("install the cli", "cli installation")]:
        verdict = verify_call({"q": b}, {"q": a}, TEXT)
        assert verdict.accepted and verdict.min_similarity == VerifyPolicy().variant_similarity, (a, b)
    strict = VerifyPolicy(variant_similarity=1.0)
    assert verify_call({"q": "cli installation"}, {"q": "install the cli"}, TEXT, strict).min_similarity == 1.0
    assert verify_call({"q": "Rust Async Runtime"}, {"q": "rust async runtime"}, TEXT).min_similarity is None
    for a, b in [("wired keyboard", "wireless keyboard"), ("upload a photo", "download a photo"),
                 ("gattacaggattacaggattacagga", "gattacaggattacaggattacag")]:  # no word is that long
        assert not accepted(a, b), (a, b)


def test_identifiers_and_urls_in_plain_fields() -> None:
    schema = {"type": "object", "properties": {"ref": {"type": "string"}}}
    assert verify_call({"ref": "10.5555/abc"}, {"ref": "https://doi.org/10.5555/ABC"}, schema).accepted
    assert not verify_call({"ref": "10.5555/abd"}, {"ref": "doi:10.5555/abc"}, schema).accepted
    # a URL is compared as a URL: its path is case-sensitive
    one, other = canonicalize_args({"ref": "https://x.org/A"}, schema), canonicalize_args({"ref": "https://x.org/a"}, schema)
    assert not verify_call(one, other, schema).accepted


def test_prose_keeps_its_words_in_order() -> None:
    schema = {"type": "object", "properties": {"text": {"type": "string"}}}

    def prose(a: str, b: str) -> bool:
        return verify_call(canonicalize_args({"text": b}, schema), canonicalize_args({"text": a}, schema), schema).accepted

    assert prose("Please call me back.", "please call  me back. ")
    assert not prose("the cat chased the dog", "the dog chased the cat")  # same words, another sentence
    assert not prose("We are closed.", "We are closed?")
    assert not prose("Eat, Grandpa!", "Eat Grandpa!")
    assert not prose("We are open", "We aren't open")


def test_literal_cased_and_regex_fields_are_compared_as_written() -> None:
    schema = {"type": "object", "properties": {
        "term": {"type": "string", "description": "headword; case-sensitive"},
        "needle": {"type": "string", "description": "literal substring (whitespace included) unless regex is true"},
        "regex": {"type": "boolean", "default": False},
        "match_case": {"type": "boolean", "default": False}}}

    def ok(a: dict, b: dict) -> bool:
        return verify_call(canonicalize_args(b, schema), canonicalize_args(a, schema), schema).accepted

    assert not ok({"term": "March"}, {"term": "march"})
    assert ok({"term": "march "}, {"term": "march"})
    assert ok({"needle": "ReadTimeout"}, {"needle": "readtimeout"})  # match_case false: the tool ignores case
    assert not ok({"needle": "ReadTimeout", "match_case": True}, {"needle": "readtimeout", "match_case": True})
    assert not ok({"needle": "read  timeout"}, {"needle": "read timeout"})
    assert not ok({"needle": "x+y", "regex": True}, {"needle": "x*y", "regex": True})
    assert not has_free_text(canonicalize_args({"needle": "x", "regex": True}, schema), schema)


def test_lone_tokens_whose_case_may_mean_something() -> None:
    schema = {"type": "object", "properties": {"every": {"type": "string"}, "video_id": {"type": "string"},
                                               "city": {"type": "string"}}}
    assert not verify_call({"every": "3M"}, {"every": "3m"}, schema).accepted  # 3 months / 3 minutes
    assert not verify_call({"video_id": "aB3xK9qLm2Z"}, {"video_id": "ab3xk9qlm2z"}, schema).accepted
    assert verify_call({"city": "Reykjavik"}, {"city": "reykjavik"}, schema).accepted
    assert not verify_call({"city": "NO"}, {"city": "No"}, schema).accepted  # an acronym or a symbol vs a word
    assert verify_call({"city": "NYC"}, {"city": "nyc"}, schema).accepted  # one code in two cases
    assert not verify_call({"city": "McAllen"}, {"city": "mcallen"}, schema).accepted  # irregular case: as written


def test_a_value_the_schema_pattern_refuses_is_another_call() -> None:
    schema = {"type": "object", "properties": {"ref": {"type": "string", "pattern": "^r-[0-9a-f]{6}$"}}}
    assert not verify_call({"ref": "r-00AB12"}, {"ref": "r-00ab12"}, schema).accepted  # would be an error
    assert canonicalize_args({"ref": "r-00AB12"}, schema) != canonicalize_args({"ref": "r-00ab12"}, schema)
    assert canonicalize_args({"ref": "#r-00ab12"}, schema) == canonicalize_args({"ref": "r-00ab12"}, schema)


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("2606:4700:4700::1111", "2606:4700:4700:1111::", False),  # the same groups, "::" elsewhere
        ("v1.2.10", "v1.21.0", False), ("BRK-B", "BRK.B", True), ("AB-12", "ab-12", True), ("B-RKB", "BRK-B", False),
        ("12-34", "34-12", False), ("3.10", "3.1", False), ("#W2378156", "W2378156", True),
        ("!canary", "canary", False), ("app!=web", "app=web", False),  # symbols are kept
        ("app=web,tier=db", "tier=db,app=web", True), ("51.5,-0.12", "-0.12,51.5", False),  # sets of named items
        ("cn=ops,ou=groups,o=acme", "ou=groups,cn=ops,o=acme", False),  # a DN's RDNs are a path
        ("site=a,site=b,env=x", "site=b,site=a,env=x", False),  # a key repeated: steps, not labels
        ("app=web", "app=Web", False), ("logs/2024/", "Logs/2024/", False),  # a selector's or a path's case
    ],
)
def test_identifiers_keep_their_parts_in_order_and_their_separators_in_place(a: str, b: str, equal: bool) -> None:
    assert accepted(a, b) is equal


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("https://tracker.example.com/browse/OPS-4412", "OPS-4412", True),
        ("https://www.imdb.com/title/tt0111161/", "tt0111161", True),
        ("https://www.imdb.com/title/tt0111161/reviews", "tt0111161", False),  # another page
        ("https://github.com/acme/app/issues/12", "12", False),  # a bare number: whose issue 12?
        ("https://example.com/docs/setup", "setup", False),  # a bare word
        ("https://tracker.example.com/browse/OPS-4412", "OPS-4413", False),
    ],
)
def test_a_url_names_an_id_by_its_last_path_segment(a: str, b: str, equal: bool) -> None:
    assert accepted(a, b) is equal and accepted(b, a) is equal


def test_a_permalink_names_a_case_sensitive_id_in_its_own_case() -> None:
    schema = {"type": "object", "properties": {"post": {"type": "string", "description":
                                                        "post id or permalink; ids are case-sensitive"}}}
    link = "https://www.instagram.com/p/C9xK2mLpQ4a/?igsh=MWx0"
    assert verify_call({"post": link}, {"post": "C9xK2mLpQ4a"}, schema).accepted
    assert not verify_call({"post": link}, {"post": "c9xk2mlpq4a"}, schema).accepted


def test_free_form_objects_keep_the_case_of_their_strings() -> None:
    schema = {"type": "object", "properties": {"body": {"type": "object", "additionalProperties": True}}}
    assert not verify_call({"body": {"query": {"term": {"log.level": "ERROR"}}}},
                           {"body": {"query": {"term": {"log.level": "error"}}}}, schema).accepted
    assert verify_call({"body": {"size": 10}}, {"body": {"size": 10}}, schema).accepted
    assert accepted("Error rate", "error rate")  # a top-level query: case free


@pytest.mark.parametrize("name", ["http_requests_total", "node_cpu_seconds", "app=web", "logs/app/"])
def test_a_name_in_code_keeps_its_case(name: str) -> None:
    assert not accepted(name, name.upper())


@pytest.mark.parametrize(
    ("a", "b"),
    [("project = PAY AND status = Open", "project = PAY AND status != Open"), ("name =~ api", "name !~ api")],
)
def test_a_negated_comparison_is_another_query(a: str, b: str) -> None:
    assert not accepted(a, b)
    assert accepted("best pizza!", "best pizza")  # a closing "!" is punctuation


def test_code_in_a_query_language_keeps_its_names_case() -> None:
    schema = {"type": "object", "properties": {"query": {"type": "string", "description": "GraphQL document"},
                                               "jql": {"type": "string", "description": "JQL query"}}}
    assert not verify_call({"query": "{ viewer { createdat } }"}, {"query": "{ viewer { createdAt } }"},
                           schema).accepted
    assert verify_call({"jql": "status = Open AND project = PAY"}, {"jql": "project = PAY AND status = Open"},
                       schema).accepted  # operand order is still free
    markers = {"type": "object", "properties": {"markers": {"type": "string", "description": "-m expression"}}}
    assert not verify_call({"markers": "Smoke"}, {"markers": "smoke"}, markers).accepted
    assert verify_call({"markers": "smoke or slow"}, {"markers": "slow or smoke"}, markers).accepted
    search = {"type": "object", "properties": {"q": {"type": "string", "description": "search expression"}}}
    assert verify_call({"q": "Kafka tuning"}, {"q": "kafka tuning"}, search).accepted


def test_code_in_a_query_language_keeps_its_operators_and_separators() -> None:
    schema = {"type": "object", "properties": {"select": {"type": "string", "description": "node selection syntax"},
                                               "jql": {"type": "string", "description": "JQL query"}}}
    assert not verify_call({"select": "orders customers"}, {"select": "orders,customers"}, schema).accepted
    assert not verify_call({"jql": "status = Open"}, {"jql": "status != Open"}, schema).accepted
    assert verify_call({"jql": "status=Open AND project = PAY"}, {"jql": "project = PAY AND status = Open"},
                       schema).accepted  # spaces around an operator are not a separator
    assert verify_call({"jql": "status = 'In Review'"}, {"jql": 'status = "In Review"'}, schema).accepted
    graphql = {"type": "object", "properties": {"query": {"type": "string", "description": "GraphQL document"}}}
    assert verify_call({"query": "{ user { id, name } }"}, {"query": "{ user { id name } }"}, graphql).accepted


def test_parentheses_around_the_whole_text_are_not_a_grouping() -> None:
    assert accepted("(overdue & !#Errands)", "overdue & !#Errands")
    assert accepted("((kafka OR pulsar))", "kafka OR pulsar")
    assert not accepted("(kafka) OR (pulsar benchmark)", "kafka OR pulsar benchmark")


def test_a_letter_alone_keeps_its_case() -> None:
    assert not accepted("v", "V")
    assert accepted("vienna", "Vienna")


def test_a_pattern_of_names_with_separators_keeps_their_case() -> None:
    topic = {"type": "object", "properties": {"topic": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,249}$"}}}
    mic = {"type": "object", "properties": {"mic": {"type": "string", "pattern": "^[A-Za-z0-9]{4}$"}}}
    assert not verify_call({"topic": "orders"}, {"topic": "Orders"}, topic).accepted
    assert verify_call({"mic": "xnys"}, {"mic": "XNYS"}, mic).accepted  # a code of letters and digits
