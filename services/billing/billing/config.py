"""Settings of the billing service, including the issuer identity printed on every invoice."""

from portal_common.config import BaseSettings, Env, parse_positive_int


class Settings(BaseSettings):
    service = "billing"

    issuer_name = Env(
        "BILLING_ISSUER_NAME",
        default="Service de prévention et de santé au travail (démonstration)",
        help="legal name of the service issuing invoices",
    )
    issuer_address = Env("BILLING_ISSUER_ADDRESS", default="1 rue de la Prévention, 68100 MULHOUSE")
    issuer_siret = Env("BILLING_ISSUER_SIRET", default="77501200000003")
    issuer_vat_number = Env("BILLING_ISSUER_VAT_NUMBER", default="FR41775012000")
    issuer_iban = Env(
        "BILLING_ISSUER_IBAN",
        default="FR76 3000 6000 0112 3456 7890 189",
        help="the service's own account, printed for bank transfers",
    )
    issuer_bic = Env("BILLING_ISSUER_BIC", default="AGRIFRPPXXX")
    creditor_identifier = Env(
        "BILLING_CREDITOR_IDENTIFIER", default="FR12ZZZ123456", help="SEPA creditor identifier (ICS)"
    )
    pdfa_font_dir = Env(
        "BILLING_PDFA_FONT_DIR",
        default="/usr/share/fonts/truetype/dejavu",
        help="folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf, embedded in Factur-X (PDF/A-3) "
        "invoices (Debian/Ubuntu package fonts-dejavu-core)",
    )

    # Card payments (billing/payments/provider.py): the provider's payment page and the key both sides sign with.
    card_provider_url = Env(
        "BILLING_CARD_PROVIDER_URL",
        default="http://127.0.0.1:8190",
        help="payment page of the card payment provider (the local test provider by default)",
    )
    card_merchant_id = Env(
        "BILLING_CARD_MERCHANT_ID",
        default="spsti-demo",
        help="the service's merchant account at the card payment provider",
    )
    card_signing_key = Env(
        "BILLING_CARD_SIGNING_KEY",
        default="",
        secret=True,
        help="HMAC key shared with the card provider; card payment is off while empty",
    )
    card_notify_url = Env(
        "BILLING_CARD_NOTIFY_URL",
        default="",
        help="where the provider posts its notifications (default: public URL + /paiement-carte/notification)",
    )
    # SEPA direct debit (billing/sepa/rules.py).
    bank_file_keys = Env(
        "BILLING_BANK_FILE_KEYS",
        default="",
        secret=True,
        help="kid:base64 32-byte AES keys, comma-separated, the first seals the stored pain.008 files "
        "(they carry IBANs); empty derives one from PORTAL_INTERNAL_KEY",
    )
    sepa_prenotice_days = Env(
        "BILLING_SEPA_PRENOTICE_DAYS",
        parse=parse_positive_int,
        default=14,
        help="days between the pre-notification e-mail and the debit (at least 14)",
    )
