"""The attempt counters became outbox messages (0002); one open valuation per lot is a database constraint."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('valuation', '0002_outbox'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='inquiry',
            name='dispatch_attempts',
        ),
        migrations.RemoveField(
            model_name='inquiry',
            name='dispatch_error',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='email_attempts',
        ),
        migrations.AlterField(
            model_name='notification',
            name='emailed_at',
            field=models.DateTimeField(blank=True, help_text='the mail server accepted its OutboxMessage', null=True),
        ),
        migrations.AddConstraint(
            model_name='valuation',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('lot',), name='valuation_one_open_per_lot'),
        ),
    ]
