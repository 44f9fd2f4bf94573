"""Settings of the billing service, including the issuer identity printed on every invoice."""
from portal_common.config import BaseSettings, Env


class Settings(BaseSettings):
    service = "billing"

    issuer_name = Env("BILLING_ISSUER_NAME", default="Service de prévention et de santé au travail (démonstration)",
                      help="legal name of the service issuing invoices")
    issuer_address = Env("BILLING_ISSUER_ADDRESS", default="1 rue de la Prévention, 68100 MULHOUSE")
    issuer_siret = Env("BILLING_ISSUER_SIRET", default="77501200000003")
    issuer_vat_number = Env("BILLING_ISSUER_VAT_NUMBER", default="FR41775012000")
    issuer_iban = Env("BILLING_ISSUER_IBAN", default="FR76 3000 6000 0112 3456 7890 189",
                      help="the service's own account, printed for bank transfers")
    issuer_bic = Env("BILLING_ISSUER_BIC", default="AGRIFRPPXXX")
    creditor_identifier = Env("BILLING_CREDITOR_IDENTIFIER", default="FR00ZZZ123456",
                              help="SEPA creditor identifier (ICS)")
