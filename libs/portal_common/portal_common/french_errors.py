"""marshmallow's refusals in French: every API client of the portal reads the same language as its pages.

Applied once, when `portal_common` is first imported: the default messages of the fields, the validators and the
schema are replaced in place, so schemas written anywhere get them without a base class. It must run before any
schema or field is instantiated — marshmallow copies the class's messages into each instance — which is why it is
not left to `init_api` (blueprints and their schemas are imported before the API is set up).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

FIELD_MESSAGES: dict[type[fields.Field[Any]], dict[str, str]] = {
    fields.Field: {
        "required": "Champ obligatoire.",
        "null": "Ce champ ne peut pas être vide.",
        "validator_failed": "Valeur refusée.",
    },
    fields.String: {"invalid": "Texte attendu.", "invalid_utf8": "Texte mal encodé (UTF-8 attendu)."},
    fields.Number: {"invalid": "Nombre attendu.", "too_large": "Nombre trop grand."},
    fields.Integer: {"invalid": "Nombre entier attendu."},
    fields.Decimal: {"special": "Les valeurs spéciales (NaN, infini) ne sont pas acceptées."},
    fields.Float: {"special": "Les valeurs spéciales (NaN, infini) ne sont pas acceptées."},
    fields.Boolean: {"invalid": "Valeur vrai/faux attendue."},
    fields.Date: {"invalid": "Date attendue (AAAA-MM-JJ).", "format": "Date impossible à écrire."},
    fields.DateTime: {
        "invalid": "Date et heure attendues (ISO 8601).",
        "invalid_awareness": "Date et heure avec fuseau horaire attendues.",
        "format": "Date et heure impossibles à écrire.",
    },
    fields.Time: {"invalid": "Heure attendue (HH:MM).", "format": "Heure impossible à écrire."},
    fields.Email: {"invalid": "Adresse e-mail invalide."},
    fields.URL: {"invalid": "Adresse web invalide."},
    fields.UUID: {"invalid_uuid": "Identifiant invalide (UUID attendu)."},
    fields.List: {"invalid": "Liste attendue."},
    fields.Tuple: {"invalid": "Liste attendue."},
    fields.Mapping: {"invalid": "Objet attendu."},
    fields.Nested: {"type": "Objet attendu."},
    fields.Enum: {"unknown": "Valeur inconnue : choisissez parmi {choices}."},
}
SCHEMA_MESSAGES = {"type": "Objet JSON attendu.", "unknown": "Champ inconnu."}


def apply() -> None:
    for field_class, messages in FIELD_MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
    Schema._default_error_messages = {**Schema._default_error_messages, **SCHEMA_MESSAGES}
    validate.Length.message_min = "Trop court : {min} caractères au moins."
    validate.Length.message_max = "Trop long : {max} caractères au plus."
    validate.Length.message_all = "Longueur attendue : entre {min} et {max} caractères."
    validate.Length.message_equal = "Longueur attendue : {equal} caractères."
    validate.Range.message_min = "Doit être {min_op} {{min}}."
    validate.Range.message_max = "Doit être {max_op} {{max}}."
    validate.Range.message_all = "Doit être {min_op} {{min}} et {max_op} {{max}}."
    validate.Range.message_gte = "supérieur ou égal à"
    validate.Range.message_gt = "strictement supérieur à"
    validate.Range.message_lte = "inférieur ou égal à"
    validate.Range.message_lt = "strictement inférieur à"
    validate.OneOf.default_message = "Valeur inconnue : choisissez parmi {choices}."
    validate.Regexp.default_message = "Format invalide."
    validate.Email.default_message = "Adresse e-mail invalide."
    validate.URL.default_message = "Adresse web invalide."
    validate.Equal.default_message = "Doit valoir {other}."
    validate.NoneOf.default_message = "Valeur refusée."
    validate.ContainsOnly.default_message = "Valeurs inconnues : choisissez parmi {choices}."


apply()
