output "url" {
  description = "The service's URL; clients pull HOST/IMAGE:TAG with HOST its host name."
  value       = google_cloud_run_v2_service.tlogistry.uri
}

output "service_name" {
  description = "Name of the Cloud Run service."
  value       = google_cloud_run_v2_service.tlogistry.name
}

output "service_account_email" {
  description = "The service account the service runs as."
  value       = google_service_account.tlogistry.email
}

output "identity" {
  description = "The signer identity recorded in every sighting (instance field): the service account's e-mail, as issued by oidc_issuer."
  value       = "email:${local.identity};issuer=${var.oidc_issuer}"
}
