variable "project" {
  description = "Google Cloud project that holds the service."
  type        = string
}

variable "region" {
  description = "Cloud Run region, e.g. europe-west1."
  type        = string
}

variable "name" {
  description = "Name of the Cloud Run service; also the service account's ID."
  type        = string
  default     = "tlogistry"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.name))
    error_message = "name must be 6 to 30 lower-case letters, digits or hyphens, starting with a letter (it is also the service account ID)."
  }
}

variable "image" {
  description = "The tlogistry image (dotnet publish src/Tlogistry -c Release -r linux-x64 -t:PublishContainer), e.g. europe-west1-docker.pkg.dev/PROJECT/images/tlogistry:1.0.0."
  type        = string
}

variable "log" {
  description = "Where sightings are logged (--log). Keyless signing needs a time for each signature: rekor-v1=URL (your own tlogistry log serve or Rekor; the public-good https://rekor.sigstore.dev only with allow_public_log) states it, rekor-v2=URL does not and needs timestamp_authorities; embedded lives on the instance's in-memory volume and is lost with it: use it only to try the service."
  type        = string

  validation {
    condition     = can(regex("^(embedded|rekor-v[12]=https?://[^ ]+)$", var.log))
    error_message = "log must be rekor-v1=URL, rekor-v2=URL (with timestamp_authorities) or embedded."
  }
}

variable "timestamp_authorities" {
  description = "RFC 3161 timestamp authorities (--timestamp-authority, Sigstore TSA API URLs such as https://timestamp.sigstore.dev/api/v1/timestamp or a tlogistry log serve's /api/v1/timestamp) that date every signature. Required with a rekor-v2 log, whose entries state no time; the trusted root must name each."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for u in var.timestamp_authorities : can(regex("^https?://[^ ]+$", u))])
    error_message = "timestamp_authorities must be http(s) URLs."
  }
}

variable "allow_public_log" {
  description = "Allow a log on a public host (e.g. the public-good Rekor): each sighting, with the tag, digest, time and this service account's e-mail, is then public and permanent."
  type        = bool
  default     = false
}

variable "allow_registries" {
  description = "Registries the service may proxy (--allow-registry, e.g. [\"docker.io\", \"ghcr.io\"]). Empty: any public registry a client names. Required with allow_public_invoke."
  type        = list(string)
  default     = []
}

variable "rate_limit_per_client" {
  description = "Requests per second each client address may make (Tlogistry:RateLimitPerClient); 0 turns the limit off."
  type        = number
  default     = 0
}

variable "first_sightings_per_minute" {
  description = "New log entries (first sightings of a tag) each client address may cause per minute (--first-sightings-per-minute); 0 turns the limit off."
  type        = number
  default     = 60
}

variable "trusted_root_secret" {
  description = "Secret Manager secret (ID or full name) holding a Sigstore trusted_root.json for the log, e.g. a self-hosted `tlogistry log serve` or Rekor. Null: the public-good root built into the image."
  type        = string
  default     = null
}

variable "store_secret" {
  description = "Secret Manager secret (ID or full name) whose value is the whole store setting, postgres=CONNECTION STRING (password included), given as the environment variable Tlogistry__Store, never as an argument. Null: the SQLite store on the in-memory volume, which every new instance starts empty (pins are then found again by searching the Rekor v1 log, one tag at a time)."
  type        = string
  default     = null
}

variable "store_secret_version" {
  description = "Version of store_secret to read."
  type        = string
  default     = "latest"
}

variable "cloud_sql_instances" {
  description = "Cloud SQL instance connection names (PROJECT:REGION:INSTANCE) mounted under /cloudsql, for a connection string such as Host=/cloudsql/PROJECT:REGION:INSTANCE;Database=tlogistry;Username=…"
  type        = list(string)
  default     = []
}

variable "fulcio_url" {
  description = "Fulcio certificate authority that issues the signing certificates (--signer fulcio=URL)."
  type        = string
  default     = "https://fulcio.sigstore.dev"
}

variable "oidc_issuer" {
  description = "OIDC issuer of the service account's identity tokens, as Fulcio records it (--issuer)."
  type        = string
  default     = "https://accounts.google.com"
}

variable "upstreams" {
  description = "HOST=URL mappings passed as --upstream (e.g. docker.io=https://mirror.gcr.io)."
  type        = list(string)
  default     = []
}

variable "extra_args" {
  description = "More arguments for tlogistry serve, e.g. [\"--allow-registry\", \"docker.io\"]."
  type        = list(string)
  default     = []
}

variable "min_instances" {
  description = "Instances kept running; 1 or more avoids a cold start (and its Fulcio certificate request) on the first pull."
  type        = number
  default     = 0
}

variable "max_instances" {
  description = "Upper bound on instances."
  type        = number
  default     = 3
}

variable "concurrency" {
  description = "Requests one instance serves at once."
  type        = number
  default     = 80
}

variable "cpu" {
  description = "CPU limit of an instance."
  type        = string
  default     = "1"
}

variable "memory" {
  description = "Memory limit of an instance; the in-memory /data volume counts against it."
  type        = string
  default     = "512Mi"
}

variable "data_size_limit" {
  description = "Size of the in-memory volume mounted at /data (keys, and the store and log when they are local)."
  type        = string
  default     = "128Mi"
}

variable "request_timeout" {
  description = "Longest request, as a duration: large layers stream through the service."
  type        = string
  default     = "900s"
}

variable "ingress" {
  description = "Who may reach the service: INGRESS_TRAFFIC_ALL, INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER."
  type        = string
  default     = "INGRESS_TRAFFIC_ALL"
}

variable "allow_public_invoke" {
  description = "Let anyone call the service (roles/run.invoker for allUsers), as registry clients send no Google credentials."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to destroy the service from Terraform."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels for the service."
  type        = map(string)
  default     = {}
}
