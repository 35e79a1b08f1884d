"""Runs Microsoft Presidio's pattern recognizers over a corpus, for the PII detector comparison.

Reads JSON lines {"text": ...} on stdin and writes one JSON line per input on stdout: the kinds
(email, phone, card, ssn, iban) Presidio finds in the text at any score, which is its most
generous recall. No language model is loaded: each recognizer runs standalone with
nlp_artifacts=None. The email recognizer tries to download the public suffix list, fails
offline and falls back to its bundled copy; that noise is silenced.
"""
import json
import logging
import sys

logging.disable(logging.CRITICAL)

from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    UsSsnRecognizer,
)

RECOGNIZERS = [
    (EmailRecognizer(), "EMAIL_ADDRESS", "email"),
    (PhoneRecognizer(), "PHONE_NUMBER", "phone"),
    (CreditCardRecognizer(), "CREDIT_CARD", "card"),
    (UsSsnRecognizer(), "US_SSN", "ssn"),
    (IbanRecognizer(), "IBAN_CODE", "iban"),
]


def main() -> None:
    for line in sys.stdin:
        text = json.loads(line)["text"]
        kinds = [kind for recognizer, entity, kind in RECOGNIZERS if recognizer.analyze(text, [entity], nlp_artifacts=None)]
        sys.stdout.write(json.dumps(kinds) + "\n")


if __name__ == "__main__":
    main()
