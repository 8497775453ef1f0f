# tlogistry on Cloud Run. An instance's disk is memory and goes away with the instance, so
# nothing that must last is kept there: sightings go to a Rekor log (--log), pins to
# PostgreSQL (--store), and the signing identity is the service account itself, through
# Fulcio keyless certificates (--signer fulcio=… --token-source gcp): no key to store.

locals {
  identity = google_service_account.tlogistry.email

  # A Rekor log on a host anyone may read (not loopback, a private address or an internal name).
  public_log = can(regex("^rekor-v[12]=https?://", var.log)) && !can(regex("^rekor-v[12]=https?://(localhost|127\\.|10\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|[^./:]+(:|/|$)|[^/:]*\\.(internal|local|svc|cluster\\.local)(:|/|$))", var.log))

  # The store's connection string (and password) is never an argument: it is the environment
  # variable Tlogistry__Store, read from the secret, whose value starts with postgres=.
  args = concat(
    [
      "serve",
      "--data-dir", "/data",
      "--log", var.log,
      "--signer", "fulcio=${var.fulcio_url}",
      "--token-source", "gcp",
      "--identity", local.identity,
      "--issuer", var.oidc_issuer,
      "--first-sightings-per-minute", tostring(var.first_sightings_per_minute),
      # Cloud Run publishes one port; /metrics stays off it (scrape with a sidecar, or use OTLP).
      "--metrics-port", "9090",
    ],
    var.trusted_root_secret == null ? [] : ["--trusted-root", "/etc/tlogistry/trusted_root.json"],
    flatten([for t in var.timestamp_authorities : ["--timestamp-authority", t]]),
    flatten([for u in var.upstreams : ["--upstream", u]]),
    flatten([for r in var.allow_registries : ["--allow-registry", r]]),
    var.rate_limit_per_client == 0 ? [] : ["--Tlogistry:RateLimitPerClient=${var.rate_limit_per_client}"],
    var.extra_args,
  )
}

resource "google_service_account" "tlogistry" {
  project      = var.project
  account_id   = var.name
  display_name = "tlogistry (${var.name})"
  description  = "Runs the tlogistry service; its e-mail is the identity in every sighting the service signs."
}

resource "google_secret_manager_secret_iam_member" "store" {
  count = var.store_secret == null ? 0 : 1

  project   = var.project
  secret_id = var.store_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.tlogistry.email}"
}

resource "google_secret_manager_secret_iam_member" "trusted_root" {
  count = var.trusted_root_secret == null ? 0 : 1

  project   = var.project
  secret_id = var.trusted_root_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.tlogistry.email}"
}

resource "google_project_iam_member" "cloud_sql_client" {
  count = length(var.cloud_sql_instances) == 0 ? 0 : 1

  project = var.project
  role    = "roles/cloudsql.client"
  member  = "serviceAccount:${google_service_account.tlogistry.email}"
}

resource "google_cloud_run_v2_service" "tlogistry" {
  project             = var.project
  name                = var.name
  location            = var.region
  ingress             = var.ingress
  deletion_protection = var.deletion_protection
  labels              = var.labels

  template {
    service_account                  = google_service_account.tlogistry.email
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"
    timeout                          = var.request_timeout
    max_instance_request_concurrency = var.concurrency

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = var.image
      args  = local.args

      # Cloud Run sets PORT to this port; tlogistry listens on PORT.
      ports {
        name           = "http1"
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = var.store_secret == null ? [] : [var.store_secret]
        content {
          name = "Tlogistry__Store"
          value_source {
            secret_key_ref {
              secret  = env.value
              version = var.store_secret_version
            }
          }
        }
      }

      volume_mounts {
        name       = "data"
        mount_path = "/data"
      }

      dynamic "volume_mounts" {
        for_each = var.trusted_root_secret == null ? [] : [1]
        content {
          name       = "trusted-root"
          mount_path = "/etc/tlogistry"
        }
      }

      dynamic "volume_mounts" {
        for_each = length(var.cloud_sql_instances) == 0 ? [] : [1]
        content {
          name       = "cloudsql"
          mount_path = "/cloudsql"
        }
      }

      # The start verifies the store and fetches the first Fulcio certificate.
      startup_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        period_seconds    = 5
        timeout_seconds   = 3
        failure_threshold = 24
      }

      liveness_probe {
        http_get {
          path = "/healthz"
          port = 8080
        }
        period_seconds    = 15
        timeout_seconds   = 5
        failure_threshold = 3
      }
    }

    volumes {
      name = "data"
      empty_dir {
        medium     = "MEMORY"
        size_limit = var.data_size_limit
      }
    }

    dynamic "volumes" {
      for_each = var.trusted_root_secret == null ? [] : [var.trusted_root_secret]
      content {
        name = "trusted-root"
        secret {
          secret = volumes.value
          items {
            version = "latest"
            path    = "trusted_root.json"
          }
        }
      }
    }

    dynamic "volumes" {
      for_each = length(var.cloud_sql_instances) == 0 ? [] : [1]
      content {
        name = "cloudsql"
        cloud_sql_instance {
          instances = var.cloud_sql_instances
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = !local.public_log || var.allow_public_log
      error_message = "log names a public Rekor log: every sighting (tag, digest, time, this service account) becomes public and permanent. Set allow_public_log = true to mean it, or run your own log (tlogistry log serve) and give its trusted root."
    }
    precondition {
      condition     = !startswith(var.log, "rekor-v2=") || length(var.timestamp_authorities) > 0
      error_message = "a rekor-v2 log states no time for its entries, and a keyless certificate is checked at a verified time: list at least one timestamp authority in timestamp_authorities (and name it in the trusted root), or use a rekor-v1 log."
    }
    precondition {
      condition     = !var.allow_public_invoke || length(var.allow_registries) > 0
      error_message = "allow_public_invoke lets anyone pull through this service (and write to its log as its service account): list the registries it may proxy in allow_registries."
    }
  }

  # A revision that cannot read its secrets fails to start: grant first.
  depends_on = [
    google_secret_manager_secret_iam_member.store,
    google_secret_manager_secret_iam_member.trusted_root,
    google_project_iam_member.cloud_sql_client,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  count = var.allow_public_invoke ? 1 : 0

  project  = var.project
  location = var.region
  name     = google_cloud_run_v2_service.tlogistry.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
