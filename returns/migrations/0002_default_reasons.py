from django.db import migrations

REASONS = [
    ("changed_mind", "Changed my mind"),
    ("wrong_size", "Wrong size or fit"),
    ("damaged", "Arrived damaged"),
    ("defective", "Defective"),
    ("not_as_described", "Not as described"),
    ("wrong_item", "Wrong item sent"),
    ("other", "Other"),
]


def add_reasons(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    for code, label in REASONS:
        ReturnReason.objects.get_or_create(code=code, defaults={"label": label})


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]

    operations = [migrations.RunPython(add_reasons, migrations.RunPython.noop)]
