"""VoucherLine.recost: the lines of re-costing vouchers, and the document index led by it (models.py).

The column is added by plain SQL with a database default: Django's SQLite schema editor would copy the whole
table to add a NOT NULL column (millions of voucher lines), ``ALTER TABLE … ADD COLUMN … DEFAULT`` does not.
"""
from django.db import migrations, models


def mark(apps, schema_editor):
    schema_editor.execute("UPDATE ledger_voucherline SET recost = TRUE WHERE voucher_id IN "
                          "(SELECT id FROM ledger_voucher WHERE kind = 'recost')")


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0008_voucherline_dimensions_unconstrained'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(
                "ALTER TABLE ledger_voucherline ADD COLUMN recost boolean NOT NULL DEFAULT FALSE",
                "ALTER TABLE ledger_voucherline DROP COLUMN recost")],
            state_operations=[migrations.AddField(model_name='voucherline', name='recost', field=models.BooleanField(default=False))],
        ),
        migrations.RunPython(mark, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name='voucherline', name='ledger_vouc_documen_c204d6_idx'),
        migrations.AddIndex(model_name='voucherline', index=models.Index(fields=['recost', 'document', 'doc_line'], name='ledger_vl_document')),
    ]
