"""The /fhir view from outside, with real FHIR tooling.

A crawl of the view (the CapabilityStatement, every page of a search of each
type, every resource those reference, our definitions, an error) validates
with fhir.resources (R4B models) and is written to $FHIR_CRAWL for
@medplum/core to validate too; a fhirpy client searches PractitionerRole near
Adak, across the antimeridian, and follows `next` to the end.

    FHIR_URL=http://127.0.0.1:8080 FHIR_KEY=… FHIR_CRAWL=dir python -m unittest test_fhir
"""

import json
import os
import unittest
import urllib.parse

import requests
from fhir.resources.R4B import get_fhir_model_class
from fhirpy import SyncFHIRClient
from fhirpy.base.utils import parse_pagination_url

SERVER = os.environ["FHIR_URL"]
BASE = SERVER + "/fhir"
HEADERS = {"X-Api-Key": os.environ["FHIR_KEY"], "Accept": "application/fhir+json"}
CRAWL = os.environ["FHIR_CRAWL"]
ADAK = "51.88|-176.66|1000|[mi_i]"
SPECIALTY = "http://nucc.org/provider-taxonomy|2084N0008X"


def get(url, status=200):
    reply = requests.get(url, headers=HEADERS, timeout=30)
    assert reply.status_code == status, (url, reply.status_code, reply.text)
    assert reply.headers["content-type"].startswith("application/fhir+json"), url
    return reply.json()


def pages(url):
    """Every page of a search, following `next`."""
    while url:
        bundle = get(url)
        yield bundle
        url = next((l["url"] for l in bundle.get("link", []) if l["relation"] == "next"), None)


class Crawl(unittest.TestCase):
    def test_every_resource_of_a_crawl_validates(self):
        found = {"metadata": get(BASE + "/metadata")}
        searches = [
            "Location?near=" + urllib.parse.quote(ADAK) + "&_count=50",
            "Location?address-state=PR",
            "Practitioner?_count=100",
            "PractitionerRole?" + urllib.parse.urlencode({
                "location.near": ADAK, "_count": 25, "_total": "accurate",
                "_include": ["PractitionerRole:practitioner", "PractitionerRole:location",
                             "PractitionerRole:organization", "PractitionerRole:service"],
            }, doseq=True),
        ]
        references = set()
        for n, search in enumerate(searches):
            for p, bundle in enumerate(pages(f"{BASE}/{search}")):
                found[f"bundle-{n}-{p}"] = bundle
                for entry in bundle.get("entry", []):
                    resource = entry["resource"]
                    references.add(f"{resource['resourceType']}/{resource['id']}")
        for ref in sorted(references):
            found[ref.replace("/", "-")] = get(f"{BASE}/{ref}")
        for ref in ["CodeSystem/conditions", "CodeSystem/services", "SearchParameter/practitionerrole-condition"]:
            found[ref.replace("/", "-")] = get(f"{BASE}/{ref}")
        found["outcome"] = get(BASE + "/Location?near=91|0", status=400)
        self.assertGreater(len(found), 100)
        os.makedirs(CRAWL, exist_ok=True)
        for name, resource in found.items():
            model = get_fhir_model_class(resource["resourceType"])
            model.model_validate(resource)
            with open(os.path.join(CRAWL, name + ".json"), "w") as out:
                json.dump(resource, out)
        print(f"fhir.resources (R4B): {len(found)} resources valid")


class Client(unittest.TestCase):
    def test_fhirpy_near_adak_across_the_antimeridian(self):
        client = SyncFHIRClient(BASE, extra_headers={"X-Api-Key": os.environ["FHIR_KEY"]})
        search = (
            client.resources("PractitionerRole")
            .search(**{"location.near": ADAK, "specialty": SPECIALTY})
            .include("PractitionerRole", "practitioner")
            .limit(1)
        )
        bundle = search.fetch_raw()
        roles = []
        while True:
            for entry in bundle.entry or []:
                if entry.search.mode == "match":
                    distance = entry.search.extension[0]
                    self.assertEqual(distance.url, "http://hl7.org/fhir/StructureDefinition/location-distance")
                    roles.append((entry.resource.id, distance.valueDistance.value))
            link = next((l for l in bundle.link or [] if l.relation == "next"), None)
            if link is None:
                break
            # As fhirpy's own fetch_all follows `next` (it keeps only the resources).
            bundle = client._fetch_resource(*parse_pagination_url(link.url))
            bundle = client.resource("Bundle", **bundle)
        ids = [r[0] for r in roles]
        self.assertGreater(len(ids), 1, "more than one page")
        self.assertEqual(len(ids), len(set(ids)), "no role twice")
        distances = [r[1] for r in roles]
        self.assertEqual(distances, sorted(distances), "nearest first")
        # Each physician's nearest role is at the distance /v1 reports.
        v1 = requests.get(SERVER + "/v1/physicians", headers=HEADERS, timeout=30, params={
            "lat": 51.88, "lng": -176.66, "radius": 1000, "specialty": "2084N0008X", "limit": 100,
        }).json()
        by_id = dict(roles)
        self.assertTrue(v1["results"])
        for result in v1["results"]:
            want = result["distance"]
            got = by_id[result["nearest_location_id"]]
            self.assertLessEqual(abs(got - want), 1e-9 * want, result["nearest_location_id"])


if __name__ == "__main__":
    unittest.main()
