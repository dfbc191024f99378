#!/bin/sh
# Turn the fresh WordPress in the shared document root into a WooCommerce shop.
# Every step checks before it acts, so a re-run (new chart values, a retried pod) is safe.
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

. /scripts/options.sh

echo "setup: done, $STORE_URL is a WooCommerce shop"
