"""Recompute every child's `match_key` with the normalised comparison of names (NFKC, case-folded,
diacritics removed, inner white space collapsed: `Child.key_for`).

The key is unique, and two children who had different keys before may now share one ("Zoë de Vries"
and "zoe de vries", born the same day). Then nothing is merged: a child whose key does not change keeps
it, and the other children, oldest first, take their new key unless a row already holds it; the newer
row of such a pair keeps its older key unchanged (a later signal joins the child that holds the new key).
Pseudonymised children (no key) are left alone. Nothing to undo: going back keeps the new keys.
"""

import unicodedata

from django.db import migrations


def comparable_name(name: str) -> str:
    """As `casework.models.cases.comparable_name` when this migration was written."""
    folded = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", name).casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFC", plain).split())


def key_for(given_name: str, family_name: str, birth_date) -> str:
    """As `Child.key_for` when this migration was written."""
    return f"{comparable_name(given_name)}|{comparable_name(family_name)}|{birth_date.isoformat()}"[:300]


def recompute(apps, schema_editor):
    Child = apps.get_model("casework", "Child")
    rows = list(Child.objects.filter(match_key__isnull=False).order_by("pk")
                .values_list("pk", "match_key", "given_name", "family_name", "birth_date"))
    new_keys = {pk: key_for(given, family, born) for pk, _key, given, family, born in rows}
    taken = {key for pk, key, *_rest in rows if new_keys[pk] == key}  # unchanged: they keep their key
    for pk, key, *_rest in rows:
        if new_keys[pk] == key:
            continue
        if new_keys[pk] in taken:  # another child holds it already: this one keeps its older key
            taken.add(key)
            continue
        Child.objects.filter(pk=pk).update(match_key=new_keys[pk])
        taken.add(new_keys[pk])


class Migration(migrations.Migration):

    dependencies = [
        ("casework", "0023_ladder"),
    ]

    operations = [
        migrations.RunPython(recompute, migrations.RunPython.noop),
    ]
