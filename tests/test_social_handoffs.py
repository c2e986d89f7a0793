"""Kinds found on real social-media support replies: hand-offs with no time, referrals to a
partner after a complaint, and which details asked for by DM are sensitive. The sentences are
the team's own, written in that register."""

import pytest

from builtin import PLAYBOOK
from service.checker.check import check_reply

PHRASE = {"defensive_language", "vague_promise", "over_promise", "blame_shifting",
          "sensitive_data_request", "negative_wording"}


def flags(reply: str, customer: str | None = None) -> set[str]:
    r = check_reply(PLAYBOOK, reply, complaint=customer, required=frozenset())
    return {f.category for f in r.findings if f.category in PHRASE}


@pytest.mark.parametrize("reply", [
    "Thanks for letting us know, I'll pass this on to the office.",
    "We'll be sure to share your feedback with the product folks!",
    "Noted, and we'll pass your comments along to the kitchen team.",
    "I will definitely relay this to our billing department.",
    "Which branch was it, so I can follow up with the appropriate team?",
    "We'll make sure your feedback gets passed on to the station managers.",
    "Sorry about the wait, we've escalated your concern to the depot.",
    "We can certainly forward this request to our engineers!",
])
def test_a_hand_off_with_no_time_is_a_vague_promise(reply):
    assert "vague_promise" in flags(reply)


@pytest.mark.parametrize("reply", [
    "I've passed this to our billing team and they will call you by 5pm today.",
    "We escalated it this morning; expect an email within 24 hours.",
    "A refund was issued today and should show within 3 business days.",
    "Thanks for the shout-out, we'll pass it on to the crew!",
    "Please DM your booking reference so we can share your feedback.",
    "Could you tell us which store it was? We'd like to pass this on.",
    "Feel free to share this link with friends.",
    "We'll share it with you as soon as we know.",
    "Please share your feedback with us in a DM.",
])
def test_a_hand_off_with_a_time_or_one_waiting_on_the_customer_or_praise_is_not(reply):
    assert "vague_promise" not in flags(reply)


@pytest.mark.parametrize("customer,reply", [
    ("My bag was lost on the connecting flight and nobody will give me compensation",
     "You'd need to speak to the partner airline directly about compensation."),
    ("You charged me twice and still no refund", "Have you had a chance to speak with your bank about it?"),
    ("Terrible food at your cafe today", "Did you contact the store management about it?"),
])
def test_sending_a_customer_who_complained_to_a_partner_is_blame_shifting(customer, reply):
    assert "blame_shifting" in flags(reply, customer)


@pytest.mark.parametrize("reply", [
    "I'm sorry about this, but you need to contact the hotel for that.",
    "We take this seriously - have you had a chance to speak with the store manager?",
])
def test_an_apology_then_a_referral_is_blame_shifting_even_without_the_customer_words(reply):
    assert "blame_shifting" in flags(reply)


@pytest.mark.parametrize("customer,reply", [
    ("Can I pre-order the game on my console?", "Yes! You'll need to contact the console store for pre-orders."),
    ("My bag was lost and I want compensation", "You'll need to contact us by DM with your booking reference."),
    ("My bag was lost", "We have contacted the partner airline on your behalf, and you'd need to call the desk only if nothing arrives by Friday."),
    ("Is the cafe open late tonight?", "Did you call the local store? They can confirm today's hours."),
])
def test_a_referral_after_a_question_to_us_or_owned_is_not_blame(customer, reply):
    assert "blame_shifting" not in flags(reply, customer)


@pytest.mark.parametrize("reply", [
    "Can you DM us your loyalty card number so we can add the missing points?",
    "Please DM us the details and we'll take a look.",
    "Send us a DM with your order number and the last 4 digits of the card.",
])
def test_details_by_dm_that_pay_for_nothing_are_not_sensitive(reply):
    assert "sensitive_data_request" not in flags(reply)


@pytest.mark.parametrize("reply", [
    "Please DM us your full card number and expiry date.",
    "DM us the 6-digit code we just texted you.",
    "Can you DM your full name, address and email please?",
])
def test_card_codes_and_a_full_address_asked_by_dm_are_sensitive(reply):
    assert "sensitive_data_request" in flags(reply)
