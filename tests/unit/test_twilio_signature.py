"""Twilio's X-Twilio-Signature (docs/receipts.md#the-twilio-webhook)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.twilio_signature import compute_signature, is_valid_signature, url_variants

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
# The worked example of twilio.com/docs/usage/webhooks/webhooks-security.
DOCS_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675310",
    "Digits": "1234",
    "From": "+14158675310",
    "To": "+18005551212",
}
DOCS_SIGNATURE = "GvWf1cFY/Q7PnoempGyD5oXAezc="
# The vector of Twilio's own library tests (twilio-python tests/unit/test_request_validator.py):
# the same request with the caller +14158675309.
LIBRARY_PARAMS = {**DOCS_PARAMS, "Caller": "+14158675309", "From": "+14158675309"}
LIBRARY_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="

LOCAL_URL = "http://127.0.0.1:3000/v1/webhooks/twilio/status?message_id=0b6f1c2e"
LOCAL_TOKEN = "local-dev-token"
STATUS_PARAMS = {
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "ErrorCode": "30004",
    "From": "+12025550188",
    "MessageSid": "SM5f1e9d2c7b3a4e6f5f1e9d2c7b3a4e6f",
    "MessageStatus": "undelivered",
    "To": "+12025553004",
}


def test_twilio_documentation_vector():
    assert compute_signature(TOKEN, URL, DOCS_PARAMS) == DOCS_SIGNATURE
    assert is_valid_signature(TOKEN, URL, DOCS_PARAMS, DOCS_SIGNATURE)


def test_twilio_library_vector():
    assert compute_signature(TOKEN, URL, LIBRARY_PARAMS) == LIBRARY_SIGNATURE
    assert is_valid_signature(TOKEN, URL, LIBRARY_PARAMS, LIBRARY_SIGNATURE)


def test_parameter_order_does_not_matter():
    reversed_params = dict(reversed(list(DOCS_PARAMS.items())))

    assert compute_signature(TOKEN, URL, reversed_params) == DOCS_SIGNATURE


def test_a_name_posted_twice_signs_each_value_sorted():
    # twilio-python's vector for Digits=5678&Digits=1234.
    params = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234"]}

    assert compute_signature(TOKEN, URL, params) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


# Twilio signs with the port on some requests and without on others (its library accepts both).
def test_https_url_with_a_port_accepts_the_signature_without_it():
    assert is_valid_signature(TOKEN, URL.replace(".com", ".com:1234"), LIBRARY_PARAMS, LIBRARY_SIGNATURE)


def test_https_url_without_a_port_accepts_the_signature_with_443():
    assert is_valid_signature(TOKEN, URL, LIBRARY_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w=")


def test_http_url_without_a_port_accepts_the_signature_with_80():
    http_url = URL.replace("https", "http")

    assert is_valid_signature(TOKEN, http_url, LIBRARY_PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4=")


def test_http_url_with_its_own_port_accepts_the_signature_with_it():
    http_url = URL.replace(".com", ".com:1234").replace("https", "http")

    assert is_valid_signature(TOKEN, http_url, LIBRARY_PARAMS, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")


def test_url_variants_rewrite_only_the_authority():
    assert url_variants("https://Host.example:443/p?next=http://other:9/") == [
        "https://Host.example:443/p?next=http://other:9/",
        "https://Host.example/p?next=http://other:9/",
    ]
    assert url_variants("http://user:secret@[::1]:3000/hook") == [
        "http://user:secret@[::1]:3000/hook",
        "http://user:secret@[::1]/hook",
    ]
    assert url_variants("not a url") == ["not a url"]


def test_local_stack_signature_round_trip():
    # Signatures over http://127.0.0.1:3000/<path> with the local token
    # (docs/local-stack.md#twilio-webhooks-locally).
    signature = compute_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS)

    assert is_valid_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS, signature)


@pytest.mark.parametrize(
    "tampered",
    [
        {**STATUS_PARAMS, "ErrorCode": "30008"},  # a value changed
        {**STATUS_PARAMS, "MessageStatus": "delivered"},
        {**STATUS_PARAMS, "Extra": "1"},  # a parameter added
        {key: value for key, value in STATUS_PARAMS.items() if key != "ErrorCode"},  # one removed
        {"ErrorCode": "", **{k: v for k, v in STATUS_PARAMS.items() if k != "ErrorCode"}},
    ],
)
def test_tampered_params_are_rejected(tampered):
    signature = compute_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS)

    assert not is_valid_signature(LOCAL_TOKEN, LOCAL_URL, tampered, signature)


@pytest.mark.parametrize(
    "url",
    [
        LOCAL_URL.replace("message_id=0b6f1c2e", "message_id=someone-else"),  # the query
        LOCAL_URL.replace("/status", "/inbound"),  # the path
        LOCAL_URL.replace("http://", "https://"),  # the scheme
        LOCAL_URL.replace("127.0.0.1", "127.0.0.2"),  # the host
        LOCAL_URL.replace(":3000", ":3001"),  # another port
    ],
)
def test_tampered_url_is_rejected(url):
    signature = compute_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS)

    assert not is_valid_signature(LOCAL_TOKEN, url, STATUS_PARAMS, signature)


def test_wrong_token_or_empty_signature_is_rejected():
    signature = compute_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS)

    assert not is_valid_signature("another-token", LOCAL_URL, STATUS_PARAMS, signature)
    assert not is_valid_signature(
        "", LOCAL_URL, STATUS_PARAMS, compute_signature("", LOCAL_URL, STATUS_PARAMS)
    )
    assert not is_valid_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS, "")
    assert not is_valid_signature(LOCAL_TOKEN, LOCAL_URL, STATUS_PARAMS, signature[:-2])


_names = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=12)


@given(
    params=st.dictionaries(_names, st.text(max_size=30), max_size=8), token=st.text(min_size=1, max_size=40)
)
def test_any_signed_request_validates(params, token):
    signature = compute_signature(token, LOCAL_URL, params)

    assert is_valid_signature(token, LOCAL_URL, params, signature)


@given(
    params=st.dictionaries(_names, st.text(max_size=30), min_size=1, max_size=8),
    data=st.data(),
)
def test_changing_any_value_invalidates(params, data):
    signature = compute_signature(LOCAL_TOKEN, LOCAL_URL, params)
    name = data.draw(st.sampled_from(sorted(params)))
    changed = {**params, name: params[name] + "x"}

    assert not is_valid_signature(LOCAL_TOKEN, LOCAL_URL, changed, signature)
