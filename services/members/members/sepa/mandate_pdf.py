"""The SEPA core direct-debit mandate as a PDF (fpdf2), the IBAN masked; no Flask, no SQLAlchemy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from portal_common.formats import date_fr

from ..registration.letters import latin1, new_document, write_lines


@dataclass(frozen=True)
class MandateDocument:
    creditor_name: str
    creditor_id: str
    reference: str
    debtor_name: str
    debtor_address: tuple[str, ...]
    holder: str
    iban_masked: str
    bic: str | None
    signed_on: date
    status_label: str
    revoked_on: date | None


def mandate_pdf(mandate: MandateDocument) -> bytes:
    """The SEPA core direct-debit mandate (recurrent), the IBAN masked: the company keeps it for its records."""
    m = mandate
    doc = new_document(f"Mandat de prélèvement SEPA {m.reference}")
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 12, latin1("Mandat de prélèvement SEPA"), new_x="LMARGIN", new_y="NEXT")
    write_lines(
        doc,
        [
            f"Référence unique du mandat (RUM) : {m.reference}",
            f"Identifiant créancier SEPA (ICS) : {m.creditor_id}",
            f"Créancier : {m.creditor_name}",
            "Type de paiement : récurrent",
            "",
            f"Débiteur : {m.debtor_name}",
            *m.debtor_address,
            f"Titulaire du compte : {m.holder}",
            f"IBAN : {m.iban_masked}",
            f"BIC : {m.bic or '-'}",
            "",
            f"Signé électroniquement le {date_fr(m.signed_on)} - état : {m.status_label}"
            + (f" (révoqué le {date_fr(m.revoked_on)})" if m.revoked_on else ""),
            "",
            f"En signant ce formulaire de mandat, vous autorisez {m.creditor_name} à envoyer des instructions à votre "
            "banque pour débiter votre compte, et votre banque à débiter votre compte conformément aux instructions "
            f"de {m.creditor_name}. Vous bénéficiez du droit d'être remboursé par votre banque selon les conditions "
            "décrites dans la convention que vous avez passée avec elle. Une demande de remboursement doit être "
            "présentée dans les 8 semaines suivant la date de débit de votre compte pour un prélèvement autorisé.",
            "Vous pouvez révoquer ce mandat à tout moment depuis votre espace adhérent.",
        ],
    )
    return bytes(doc.output())
