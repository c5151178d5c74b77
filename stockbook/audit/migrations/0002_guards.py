from django.db import migrations


def install(apps, schema_editor):
    from stockbook.audit import guards

    guards.install(schema_editor)


def uninstall(apps, schema_editor):
    from stockbook.audit import guards

    guards.uninstall(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
