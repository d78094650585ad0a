/* ca_fixture_data.h - a throwaway test CA for the fuzz targets (generated once; the keys
 * protect nothing). Valid from 2000 until 2100. Provisioner key password: "password". */

static const char FX_ROOT_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBrDCCAVOgAwIBAgIQZI/dG4LZgMKRw3rk+TVl2zAKBggqhkjOPQQDAjA0MRQw\n"
    "EgYDVQQKEwtTdHJpZGUgRnV6ejEcMBoGA1UEAxMTU3RyaWRlIEZ1enogUm9vdCBD\n"
    "QTAgFw0wMDAxMDEwMDAwMDBaGA8yMTAwMDEwMTAwMDAwMFowNDEUMBIGA1UEChML\n"
    "U3RyaWRlIEZ1enoxHDAaBgNVBAMTE1N0cmlkZSBGdXp6IFJvb3QgQ0EwWTATBgcq\n"
    "hkjOPQIBBggqhkjOPQMBBwNCAAShWZND0prhAhkp+nQ8QnaUHTfKAk9JaJVgndfV\n"
    "yn56ehcoQqlV3+acUiqeTQwHZNSWi7WbGJRYz1hQr1kVd1pTo0UwQzAOBgNVHQ8B\n"
    "Af8EBAMCAQYwEgYDVR0TAQH/BAgwBgEB/wIBATAdBgNVHQ4EFgQUDF61ZEv76zJN\n"
    "CATEFl8Vh6sdDO4wCgYIKoZIzj0EAwIDRwAwRAIgIz5BkYR1P2ObnD4UE3fBkC9P\n"
    "36NHwG8Xg0k+knnlxIYCIH9o9RmHDzbhEpO0P3a+S9q8OTtBoy4yJyEGpOdqZjxV\n"
    "-----END CERTIFICATE-----\n";

static const char FX_INTER_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB1jCCAXugAwIBAgIPbmHlgMgf7Yl11YvIg12iMAoGCCqGSM49BAMCMDQxFDAS\n"
    "BgNVBAoTC1N0cmlkZSBGdXp6MRwwGgYDVQQDExNTdHJpZGUgRnV6eiBSb290IENB\n"
    "MCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjA8MRQwEgYDVQQKEwtT\n"
    "dHJpZGUgRnV6ejEkMCIGA1UEAxMbU3RyaWRlIEZ1enogSW50ZXJtZWRpYXRlIENB\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEj5QJ8F7shEBiDBaZ2Fx4zt/gTyk6\n"
    "ooAklygd7Ty3YPe2+FO/urXgTfhK8K+IsesVMRyBwXFdll9JuBm5dCEu8KNmMGQw\n"
    "DgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQAwHQYDVR0OBBYEFHV+\n"
    "Hi2WJZSCHLgRII4yQ3Q2qVSpMB8GA1UdIwQYMBaAFAxetWRL++syTQgExBZfFYer\n"
    "HQzuMAoGCCqGSM49BAMCA0kAMEYCIQCqm9dH7NCZ5SJb/ju/BwwibjNDzcQO+LAX\n"
    "mF14902PIQIhAN06lZrQGJj+UVVKIRW23gFlPPMKOgVciXHcHpv/wvKz\n"
    "-----END CERTIFICATE-----\n";

static const char FX_INTER_KEY_PEM[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEILDOVKC/TrHpNfwr0jqBxLxytz7m0WlOCFbgibM44j8ooAoGCCqGSM49\n"
    "AwEHoUQDQgAEj5QJ8F7shEBiDBaZ2Fx4zt/gTyk6ooAklygd7Ty3YPe2+FO/urXg\n"
    "TfhK8K+IsesVMRyBwXFdll9JuBm5dCEu8A==\n"
    "-----END EC PRIVATE KEY-----\n";

static const char FX_PROV_KEY_PEM[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIF/0VhMyd0Js0m72S/dohII1XeSlfZubvTqIVhxH3ip+oAoGCCqGSM49\n"
    "AwEHoUQDQgAEUcKnWFNe+EkShTBhpzDLlfMvazl/qawbnRdIaSJCftnzMXTBNMbk\n"
    "GcbM771O+25p56CQRXfjkFBJX5b9ML6Ncg==\n"
    "-----END EC PRIVATE KEY-----\n";

static const char FX_PROV_JWK[] =
    "{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"OJDLwy2OXfdZa7D-m6Z_lWgNxUsZR43sUsA1UgOLLHk\","
    "\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"UcKnWFNe-EkShTBhpzDLlfMvazl_qawbnRdIaSJCftk\","
    "\"y\":\"8zF0wTTG5BnGzO-9TvtuaeegkEV345BQSV-W_TC-jXI\"}";

static const char FX_PROV_KID[] = "OJDLwy2OXfdZa7D-m6Z_lWgNxUsZR43sUsA1UgOLLHk";

static const char FX_PROV_JWE[] =
    "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJjdHkiOiJqd2sranNvbiIsImVuYyI6IkEyNTZHQ00iLCJwMmMiOjEwMD"
    "AsInAycyI6Ik50cW5GQ0c3UlRVNW5EbnhyWmVkU1EifQ.RXTYw3nns0ubD2anXd_"
    "0KqYva8q1BmpDNVSDzqUDi2eYpI2YB9h0tQ.WI22TGMHSREgNLmk.TNhMWY_"
    "xSB6iUry2ExIi2A7ZPMHIwDA93o6UjKxgY4qFEgrzfl_Po-vhoBeblo85VAauV65AwyO7ssypXSoIuwRJQP7a2-"
    "9wHxsr6VADzvspEjTygIMxpraKENkylqQebfB7HDWJScFYLKgST1PAOekcWIKkn1v8JEcI6Ecs1Kg_XGdNvBmcHE-"
    "uJaSh4WLTUB3e3fhHpKKWgRacHO8V38WZQN_4xcdfSoOaujFA_Csinq4VvJ-4YRtFI8V2ELwLOTm-"
    "z9WgmEK2nTBqrZL2R11_KUZrvCN_X2rxGNggSJGSe6GsYxqEjSPU60iF0LFqIspX6PMMVohfIWPhhPc.IshxmI1eo8_"
    "OyZ4o8ndmCA";
