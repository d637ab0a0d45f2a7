# commerce_plugin: the stores this platform sells through, from Tutor's config.yml. Runs after the
# LMS migrations on every `tutor local do init`; the commands change only what differs. config.yml is
# the source of truth: a secret changed there replaces the store's (--rotate-secret). Tutor refuses to
# load a config.yml whose secrets or Stripe keys cannot work (plugin.check_config), so none reach here.
COMMERCE_STORE_SECRET={{ COMMERCE_PLUGIN_STORE_SECRET|commerce_plugin_shell }} ./manage.py lms commerce_store \
  {{ COMMERCE_PLUGIN_STORE_SLUG|commerce_plugin_shell }} \
  --name {{ COMMERCE_PLUGIN_STORE_NAME|commerce_plugin_shell }} \
  --kind {{ COMMERCE_PLUGIN_STORE_KIND|commerce_plugin_shell }}{% if COMMERCE_PLUGIN_STORE_SECRET %} --rotate-secret{% endif %}
{%- if COMMERCE_PLUGIN_STRIPE_CHECKOUT %}
# Stripe checkout: orders paid through the plugin's checkout belong to a store of kind stripe, whose
# secret is Stripe's webhook signing secret; the LMS's commerce configuration turns on its Upgrade buttons.
COMMERCE_STORE_SECRET={{ COMMERCE_PLUGIN_STRIPE_WEBHOOK_SECRET|commerce_plugin_shell }} ./manage.py lms commerce_store \
  {{ COMMERCE_PLUGIN_STRIPE_STORE|commerce_plugin_shell }} --name Stripe --kind stripe --rotate-secret
./manage.py lms configure_commerce
{%- endif %}
