# A public tlogistry on Cloud Run: keyless signatures as its own service account, sightings in
# your own Rekor v1 log (a tlogistry log serve, with its trusted root in Secret Manager), pins in
# a Cloud SQL for PostgreSQL database whose store setting (postgres=…) is in Secret Manager
# (all of which you create beforehand). Only the registries listed are proxied.

provider "google" {
  project = "my-project"
  region  = "europe-west1"
}

module "tlogistry" {
  source = "../.."

  project = "my-project"
  region  = "europe-west1"
  image   = "europe-west1-docker.pkg.dev/my-project/images/tlogistry:1.0.0"
  log     = "rekor-v1=https://log.example.com"

  # The log above is on a public host: its sightings are public, and that is meant.
  allow_public_log    = true
  trusted_root_secret = "tlogistry-trusted-root"

  store_secret        = "tlogistry-store"
  cloud_sql_instances = ["my-project:europe-west1:tlogistry"]

  min_instances         = 1
  max_instances         = 5
  allow_public_invoke   = true
  allow_registries      = ["docker.io", "ghcr.io"]
  rate_limit_per_client = 20
}

output "url" {
  value = module.tlogistry.url
}
