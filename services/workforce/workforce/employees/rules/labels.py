"""French labels of the workforce codes, shared by the pages and the exports."""

from __future__ import annotations

from portal_common.vocabulary import MonitoringCategory

from .codes import HistoryKind, ListStatus, Sex

CONTRACT_LABELS = {
    "CDI": "CDI",
    "CDD": "CDD",
    "apprentissage": "Apprentissage",
    "professionnalisation": "Professionnalisation",
    "interim": "Intérim",
    "stage": "Stage",
    "autre": "Autre",
}
CATEGORY_LABELS: dict[str, str] = {
    MonitoringCategory.SI: "Suivi individuel",
    MonitoringCategory.SIA: "Suivi individuel adapté",
    MonitoringCategory.SIR: "Suivi individuel renforcé",
}
STATUS_LABELS = {
    ListStatus.PRESENT: "Présents",
    ListStatus.UPCOMING: "À venir",
    ListStatus.LEFT: "Sortis",
    ListStatus.ALL: "Tous",
}
SORT_LABELS = {
    "name": "Nom (A → Z)",
    "-name": "Nom (Z → A)",
    "birth_date": "Date de naissance (plus âgés d'abord)",
    "-birth_date": "Date de naissance (plus jeunes d'abord)",
    "hire_date": "Date d'embauche (plus anciens d'abord)",
    "-hire_date": "Date d'embauche (plus récents d'abord)",
}
EXIT_REASON_LABELS = {
    "fin_cdd": "Fin de CDD",
    "demission": "Démission",
    "licenciement": "Licenciement",
    "rupture_conventionnelle": "Rupture conventionnelle",
    "retraite": "Départ en retraite",
    "fin_periode_essai": "Fin de période d'essai",
    "fin_mission": "Fin de mission",
    "mutation": "Mutation",
    "autre": "Autre motif",
}
HISTORY_LABELS = {
    HistoryKind.HIRED: "Embauche",
    HistoryKind.CORRECTED: "Correction de la fiche",
    HistoryKind.POST_CHANGED: "Nouveau poste",
    HistoryKind.EXITED: "Sortie",
    HistoryKind.RECLASSIFIED: "Catégorie recalculée (paramétrage du service)",
}
SEX_LABELS = {Sex.F: "Femme", Sex.M: "Homme"}


def category_title(label: str) -> str:
    """The long name of a category label; a local label (e.g. SIH) is shown as is."""
    return CATEGORY_LABELS.get(label, f"Catégorie locale {label}")
