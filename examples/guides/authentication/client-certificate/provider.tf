# Client certificate: a PEM file holding the certificate and its unencrypted RSA private key,
# or a PKCS#12 (.pfx) file with its password in DATAVERSE_CLIENT_CERTIFICATE_PASSWORD.
provider "dataverse" {
  environment_url         = "https://contoso.crm.dynamics.com"
  tenant_id               = "00000000-0000-0000-0000-000000000000"
  client_id               = "11111111-1111-1111-1111-111111111111"
  client_certificate_path = "${path.root}/terraform-dataverse.pem"
}
