"""Payment, Receipt and ReceiptCounter, moved from ``apps.dues`` with their tables (dues_payment,
dues_receipt, dues_receiptcounter, created by dues.0001 to dues.0005). State only: no table is
created and no row moves."""

import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('dues', '0008_payments_move_to_payments_app'),
        ('events', '0005_registration_hold_expired_notified_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay where they are (Meta.db_table): only Django's model state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Payment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('method', models.CharField(choices=[('card', 'Carte bancaire'), ('sepa', 'Prélèvement SEPA'), ('cheque', 'Chèque'), ('transfer', 'Virement'), ('cash', 'Espèces')], max_length=10, verbose_name='moyen de paiement')),
                        ('amount', models.DecimalField(decimal_places=2, max_digits=8, verbose_name='montant (€)')),
                        ('platform_fee', models.DecimalField(decimal_places=2, default=Decimal('0'), max_digits=8)),
                        ('status', models.CharField(choices=[('pending', 'En attente'), ('succeeded', 'Payé'), ('failed', 'Échoué'), ('refunded', 'Remboursé'), ('cancelled', 'Annulé')], default='pending', max_length=10, verbose_name='statut')),
                        ('stripe_payment_intent_id', models.CharField(blank=True, max_length=255, null=True, unique=True)),
                        ('stripe_account_id', models.CharField(blank=True, max_length=255)),
                        ('off_session', models.BooleanField(default=False)),
                        ('reference', models.CharField(blank=True, max_length=100, verbose_name='référence')),
                        ('failure_reason', models.CharField(blank=True, max_length=255)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('paid_at', models.DateTimeField(blank=True, null=True, verbose_name='payé le')),
                        ('refunded_at', models.DateTimeField(blank=True, null=True)),
                        ('dues', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='dues.dues')),
                        ('recorded_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('registration', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payments', to='events.registration')),
                    ],
                    options={
                        'verbose_name': 'paiement',
                        'db_table': 'dues_payment',
                    },
                ),
                migrations.CreateModel(
                    name='Receipt',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('receipt', 'Reçu de cotisation'), ('credit_note', 'Avoir')], default='receipt', max_length=12)),
                        ('number', models.CharField(max_length=20, verbose_name='numéro')),
                        ('year', models.PositiveSmallIntegerField()),
                        ('sequence', models.PositiveIntegerField()),
                        ('content', models.JSONField(default=dict)),
                        ('pdf', models.FileField(blank=True, upload_to='receipts/')),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('cancels', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='payments.receipt')),
                        ('payment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='receipts', to='payments.payment')),
                    ],
                    options={
                        'verbose_name': 'reçu',
                        'db_table': 'dues_receipt',
                        'ordering': ['-issued_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ReceiptCounter',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(max_length=12)),
                        ('year', models.PositiveSmallIntegerField()),
                        ('last', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'dues_receiptcounter',
                        'constraints': [models.UniqueConstraint(fields=('kind', 'year'), name='receipt_counter_unique')],
                    },
                ),
                migrations.AddIndex(
                    model_name='payment',
                    index=models.Index(fields=['status', 'created_at'], name='payment_status_created'),
                ),
                migrations.AddConstraint(
                    model_name='payment',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('dues__isnull', False), ('registration__isnull', True)), models.Q(('dues__isnull', True), ('registration__isnull', False)), _connector='OR'), name='payment_pays_exactly_one'),
                ),
                migrations.AddConstraint(
                    model_name='receipt',
                    constraint=models.UniqueConstraint(fields=('kind', 'year', 'sequence'), name='receipt_gapless_unique'),
                ),
                migrations.AddConstraint(
                    model_name='receipt',
                    constraint=models.UniqueConstraint(fields=('number',), name='receipt_number_unique'),
                ),
                migrations.AddConstraint(
                    model_name='receipt',
                    constraint=models.UniqueConstraint(fields=('payment', 'kind'), name='receipt_one_per_payment'),
                ),
            ],
            database_operations=[],
        ),
    ]
