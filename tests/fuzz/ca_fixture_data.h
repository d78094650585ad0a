/* ca_fixture_data.h - a throwaway test CA for the fuzz targets (generated once; the keys
 * protect nothing). Valid until 2100. Provisioner key password: "password". */

static const char FX_ROOT_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBrjCCAVOgAwIBAgIQPWm4uJN4hGulCpGF7+B6sDAKBggqhkjOPQQDAjA0MRQw\n"
    "EgYDVQQKEwtTdHJpZGUgRnV6ejEcMBoGA1UEAxMTU3RyaWRlIEZ1enogUm9vdCBD\n"
    "QTAgFw0yNjExMjEwNjI0NTdaGA8yMTAwMDEwMTAwMDAwMFowNDEUMBIGA1UEChML\n"
    "U3RyaWRlIEZ1enoxHDAaBgNVBAMTE1N0cmlkZSBGdXp6IFJvb3QgQ0EwWTATBgcq\n"
    "hkjOPQIBBggqhkjOPQMBBwNCAAS7uKRG7pcE1730VSiAgYQ/mQ4d92pdy9oiHkNU\n"
    "L4sYKPPdhic1oYboD+/tK+3K7FZLCVWyoXubjNX+ocXs4a1oo0UwQzAOBgNVHQ8B\n"
    "Af8EBAMCAQYwEgYDVR0TAQH/BAgwBgEB/wIBATAdBgNVHQ4EFgQUVhuv9jS4Nlan\n"
    "OO7Hdsz91/+bF44wCgYIKoZIzj0EAwIDSQAwRgIhAJpcmBFQt614Ri9WG1QfDg66\n"
    "Z/v2IHLg3U4OjfuRhH0kAiEAgPRpZICnTVxDe6kOD3hjW/3JJNjM15nuDQRoK08f\n"
    "vm0=\n"
    "-----END CERTIFICATE-----\n";

static const char FX_INTER_PEM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIB1TCCAXygAwIBAgIQN44+wYt5eRsMIHQz2skpYjAKBggqhkjOPQQDAjA0MRQw\n"
    "EgYDVQQKEwtTdHJpZGUgRnV6ejEcMBoGA1UEAxMTU3RyaWRlIEZ1enogUm9vdCBD\n"
    "QTAgFw0yNjExMjEwNjI0NTdaGA8yMTAwMDEwMTAwMDAwMFowPDEUMBIGA1UEChML\n"
    "U3RyaWRlIEZ1enoxJDAiBgNVBAMTG1N0cmlkZSBGdXp6IEludGVybWVkaWF0ZSBD\n"
    "QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABFgp91qdB58s3I/nyun5j4/Eo4+t\n"
    "ZW0znXeG7GfYCyM4ha176lEKsQj8cASahERb/Jiv0Z8YO6VL/h02dp2p7UWjZjBk\n"
    "MA4GA1UdDwEB/wQEAwIBBjASBgNVHRMBAf8ECDAGAQH/AgEAMB0GA1UdDgQWBBSH\n"
    "Jz4RIk+O0Y7rI314F2aRXt+e0jAfBgNVHSMEGDAWgBRWG6/2NLg2Vqc47sd2zP3X\n"
    "/5sXjjAKBggqhkjOPQQDAgNHADBEAiAnRq0ITDnlDpZ9pFFWr20Hbg9wUUv6lq+d\n"
    "2XmuWkZ3yQIgX1d5EnuZi6q2X+dX1pEmeMbIJGuqybsDzdvZsRCngjY=\n"
    "-----END CERTIFICATE-----\n";

static const char FX_INTER_KEY_PEM[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIBmKwTSNfhH3MKa16Zcs6tEVhfWqtO1ddxQAex5GuGk+oAoGCCqGSM49\n"
    "AwEHoUQDQgAEWCn3Wp0Hnyzcj+fK6fmPj8Sjj61lbTOdd4bsZ9gLIziFrXvqUQqx\n"
    "CPxwBJqERFv8mK/Rnxg7pUv+HTZ2nantRQ==\n"
    "-----END EC PRIVATE KEY-----\n";

static const char FX_PROV_KEY_PEM[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIAu28cERHeDcoimQ21WICObmzlvoNhGtN/U0HNGccAeyoAoGCCqGSM49\n"
    "AwEHoUQDQgAEQhH9NO39FaosbEG1/TwFqrUzvbsVjLjy8S82VsSPRO1MGe8PtM0H\n"
    "4bIL1FlsNHiPcte9/dJ1//7vVCyPXBIsow==\n"
    "-----END EC PRIVATE KEY-----\n";

static const char FX_PROV_JWK[] =
    "{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"dfCDkgj763q7qezN457Zn0izr0ZJQ0G7KqHH-Ed1d4U\","
    "\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":\"QhH9NO39FaosbEG1_TwFqrUzvbsVjLjy8S82VsSPRO0\","
    "\"y\":\"TBnvD7TNB-GyC9RZbDR4j3LXvf3Sdf_-71Qsj1wSLKM\"}";

static const char FX_PROV_KID[] = "dfCDkgj763q7qezN457Zn0izr0ZJQ0G7KqHH-Ed1d4U";

static const char FX_PROV_JWE[] =
    "eyJhbGciOiJQQkVTMi1IUzI1NitBMTI4S1ciLCJjdHkiOiJqd2sranNvbiIsImVuYyI6IkEyNTZHQ00iLCJwMmMiOjEwMD"
    "AsInAycyI6IjBDaEZFWVdWcHJ6TmFhNjBZX21kQ0EifQ.ScBagDbQIeZVUg_oxDrK0Fi0aAdunEmixq_"
    "YbiovN4BGi7U209cvkg.dGMKt5vdkrzMB5wZ."
    "hk2jVEXfwH6MuerSPd8ru2Y1j5NzEzZePZF0qODy1N3EgrlLPIvOblfewA_RPhxu6hNTqrzr9WzjgI0e_"
    "AZu8chxMNt40hYlCekTrGrCei3vSdYJX-Lvlf0gP14yEnFDhM8rddVK30bF8Wnc5WuUlzdB2pEodH3X7EzkkDL8r-"
    "lNtoOZymgvr0C6VOiMcmqB6ulefSCDn3PeqAq3VsagedS-C4hm-154X4O_"
    "2j1FuoRNnffa22rfqxLZVVCIlNREaSAfCgyX3aDXbc-UKAhiKFC53CYGDV6Ccu3jlPcUggAt5u-"
    "D3y4PbancyG7Bhrt3N9w7bbcrOKxv8TesB-s.yt_FXNMvBONBImbNHMq6pQ";
