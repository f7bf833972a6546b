from django.db import migrations


def load(apps, schema_editor):
    from types import SimpleNamespace

    from apps.aci.grids import load_grids

    models = SimpleNamespace(
        ReferenceGrid=apps.get_model("aci", "ReferenceGrid"),
        GridMission=apps.get_model("aci", "GridMission"),
        GridAmount=apps.get_model("aci", "GridAmount"),
    )
    load_grids(models=models)


class Migration(migrations.Migration):
    dependencies = [("aci", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
