# A public tlogistry on Cloud Run: keyless signatures as its own service account, sightings in
# the public-good Rekor v1 log, pins in a Cloud SQL for PostgreSQL database whose connection
# string is in Secret Manager (all of which you create beforehand).

provider "google" {
  project = "my-project"
  region  = "europe-west1"
}

module "tlogistry" {
  source = "../.."

  project = "my-project"
  region  = "europe-west1"
  image   = "europe-west1-docker.pkg.dev/my-project/images/tlogistry:1.0.0"

  store_secret        = "tlogistry-store"
  cloud_sql_instances = ["my-project:europe-west1:tlogistry"]

  min_instances       = 1
  max_instances       = 5
  allow_public_invoke = true
}

output "url" {
  value = module.tlogistry.url
}
