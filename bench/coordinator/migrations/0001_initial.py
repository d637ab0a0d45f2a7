from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="FulfillmentOrder",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("order_number", models.CharField(db_index=True, max_length=255)),
                ("course_id", models.CharField(max_length=255)),
                ("course_mode", models.CharField(max_length=100)),
                ("date_placed", models.DateTimeField()),
                ("edx_lms_user_id", models.PositiveIntegerField()),
                ("edx_lms_username", models.CharField(max_length=150)),
                ("email_opt_in", models.BooleanField(default=False)),
                ("provider", models.CharField(max_length=100)),
                ("fulfilled", models.BooleanField(default=False)),
            ],
        ),
    ]
