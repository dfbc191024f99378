#!/bin/sh
# Turn the fresh WordPress in the shared document root into a WooCommerce shop.
# Every step checks before it acts, so a re-run (new chart values, a retried pod) is safe: it ends
# with an open shop (no "coming soon"), Cash on delivery, free shipping and sample products.
set -eu
cd /var/www/html

echo "setup: waiting for the WordPress container to write wp-config.php"
until [ -f wp-config.php ]; do sleep 3; done

if wp core is-installed; then
  echo "setup: WordPress is already installed"
else
  echo "setup: installing WordPress for $STORE_URL"
  # --prompt reads the password from stdin, so it never appears in a process listing.
  printf '%s\n' "$ADMIN_PASSWORD" | wp core install --url="$STORE_URL" --title="$STORE_TITLE" \
    --admin_user="$ADMIN_USERNAME" --admin_email="$ADMIN_EMAIL" --skip-email --prompt=admin_password
fi

if ! wp user get "$ADMIN_USERNAME" --field=ID >/dev/null 2>&1; then
  echo "setup: creating administrator $ADMIN_USERNAME"
  printf '%s\n' "$ADMIN_PASSWORD" | wp user create "$ADMIN_USERNAME" "$ADMIN_EMAIL" \
    --role=administrator --prompt=user_pass
fi

wp option update blogname "$STORE_TITLE"
wp rewrite structure "$PERMALINK_STRUCTURE"

installed_version="$(wp plugin get woocommerce --field=version 2>/dev/null || true)"
if [ -n "$WOOCOMMERCE_PACKAGE" ]; then
  if [ -z "$installed_version" ]; then
    echo "setup: installing WooCommerce from $WOOCOMMERCE_PACKAGE"
    wp plugin install "$WOOCOMMERCE_PACKAGE"
  fi
elif [ "$installed_version" != "$WOOCOMMERCE_VERSION" ]; then
  echo "setup: installing WooCommerce $WOOCOMMERCE_VERSION (found: ${installed_version:-none})"
  wp plugin install woocommerce --version="$WOOCOMMERCE_VERSION" --force
fi
wp plugin activate woocommerce

# The shop, cart, checkout and my-account pages; the tool skips pages that already exist.
wp wc tool run install_pages --user="$ADMIN_USERNAME"
# No onboarding wizard: the store is configured from here and from the options below.
wp option update woocommerce_onboarding_profile '{"skipped":true}' --format=json

# shellcheck source=/dev/null  # rendered by the chart from woocommerce.options
. /scripts/options.sh

# Cash on delivery: a way to pay that needs no outside service, so a shopper can order at once.
wp option update woocommerce_cod_settings --format=json \
  '{"enabled":"yes","title":"Cash on delivery","description":"Pay with cash upon delivery.","instructions":"Pay with cash upon delivery.","enable_for_methods":[],"enable_for_virtual":"yes"}'

# Free shipping wherever no other zone applies (zone 0), so checkout offers a shipping method.
if [ "$(wp wc shipping_zone_method list 0 --user="$ADMIN_USERNAME" --format=count)" = "0" ]; then
  echo "setup: offering free shipping everywhere"
  wp wc shipping_zone_method create 0 --method_id=free_shipping --enabled=true --user="$ADMIN_USERNAME"
fi

# A few products, created only in an empty shop, so there is something to buy.
if [ "$(wp wc product list --user="$ADMIN_USERNAME" --status=any --format=count)" = "0" ]; then
  echo "setup: creating sample products"
  for product in "Storeplane mug|12.00" "Storeplane T-shirt|19.00" "Storeplane sticker pack|4.50"; do
    wp wc product create --user="$ADMIN_USERNAME" --name="${product%|*}" --type=simple \
      --regular_price="${product#*|}" --status=publish --manage_stock=true --stock_quantity=100
  done
fi

echo "setup: done, $STORE_URL is a WooCommerce shop"
