"""The Python client that openapi-python-client generates from the served
document, against the running server (see run.sh): a search, its next page by
cursor, a detail, a 400 parsed as a problem, the GeoJSON search parsed as a
FeatureCollection, the summary view parsed as a SearchSummaryResponse. Every answer parses into the generated models: a 200 the
models could not type would come back as Any, and fail these tests.

Environment: LOCATOR_URL (the server), LOCATOR_KEY (a partner's API key),
and the generated package on PYTHONPATH as physician_locator_client.
"""

import os
import unittest
from http import HTTPStatus

from physician_locator_client import AuthenticatedClient
from physician_locator_client.api.physicians import detail, search, search_geojson
from physician_locator_client.models import (
    FeatureCollection,
    FeatureCollectionType,
    PhysicianView,
    PointType,
    Problem,
    SearchResponse,
    SearchSummaryResponse,
    Unit,
    View,
)

# A search the seeded directory answers with more than one page.
NEAR = {"zip_": "10001", "radius": 50.0, "unit": Unit.MI, "condition": ["lems"], "limit": 2}


def client() -> AuthenticatedClient:
    # The key as the document declares it: the X-Api-Key header, no prefix.
    return AuthenticatedClient(
        base_url=os.environ["LOCATOR_URL"],
        token=os.environ["LOCATOR_KEY"],
        prefix="",
        auth_header_name="X-Api-Key",
        raise_on_unexpected_status=True,
    )


def npis(page: SearchResponse) -> list[str]:
    return [result.physician.npi for result in page.results]


class GeneratedPythonClient(unittest.TestCase):
    def setUp(self) -> None:
        self.client = self.enterContext(client())

    def first_page(self) -> SearchResponse:
        reply = search.sync_detailed(client=self.client, include_total=True, **NEAR)
        self.assertEqual(reply.status_code, HTTPStatus.OK, reply.content)
        self.assertIsInstance(reply.parsed, SearchResponse)
        self.assertIn("X-Request-Id", reply.headers)
        self.assertIn("ETag", reply.headers)
        self.assertIn("RateLimit-Remaining", reply.headers)
        return reply.parsed

    def test_a_search_then_the_next_page_by_cursor(self) -> None:
        first = self.first_page()
        self.assertEqual(len(first.results), 2)
        self.assertGreater(first.total, 2)
        self.assertIsInstance(first.next_cursor, str)
        distances = [r.distance for r in first.results]
        self.assertEqual(distances, sorted(distances))
        second = search.sync(client=self.client, cursor=first.next_cursor, **NEAR)
        self.assertIsInstance(second, SearchResponse)
        self.assertTrue(second.results)
        self.assertFalse(set(npis(first)) & set(npis(second)), "pages do not overlap")
        self.assertGreaterEqual(second.results[0].distance, distances[-1])

    def test_a_detail(self) -> None:
        npi = npis(self.first_page())[0]
        physician = detail.sync(npi, client=self.client)
        self.assertIsInstance(physician, PhysicianView)
        self.assertEqual(physician.npi, npi)
        self.assertTrue(physician.locations)
        self.assertTrue(any(c.slug == "lems" for c in physician.conditions))

    def test_a_bad_request_is_a_problem_naming_each_parameter(self) -> None:
        reply = search.sync_detailed(client=self.client, zip_="10001", radius=5000.0, limit=0)
        self.assertEqual(reply.status_code, HTTPStatus.BAD_REQUEST)
        self.assertEqual(reply.headers["Content-Type"], "application/problem+json")
        problem = reply.parsed
        self.assertIsInstance(problem, Problem)
        self.assertEqual(problem.status, 400)
        self.assertEqual(sorted(e.parameter for e in problem.errors), ["limit", "radius"])

    def test_the_geojson_search_is_a_feature_collection_of_the_same_page(self) -> None:
        page = self.first_page()
        collection = search_geojson.sync(client=self.client, **NEAR)
        self.assertIsInstance(collection, FeatureCollection)
        self.assertEqual(collection.type_, FeatureCollectionType.FEATURECOLLECTION)
        self.assertEqual([f.properties.npi for f in collection.features], npis(page))
        self.assertEqual(collection.next_cursor, page.next_cursor)
        for feature, result in zip(collection.features, page.results):
            self.assertEqual(feature.geometry.type_, PointType.POINT)
            lng, lat = feature.geometry.coordinates
            location = next(l for l in result.physician.locations if l.id == result.nearest_location_id)
            self.assertEqual((lng, lat), (location.lng, location.lat))
            self.assertEqual(feature.properties.distance, result.distance)

    def test_the_summary_view_is_the_same_page_in_brief(self) -> None:
        page = self.first_page()
        reply = search.sync_detailed(client=self.client, include_total=True, view=View.SUMMARY, **NEAR)
        self.assertEqual(reply.status_code, HTTPStatus.OK, reply.content)
        brief = reply.parsed
        # The 200 is anyOf the two pages: the full model refuses a summary's results.
        self.assertIsInstance(brief, SearchSummaryResponse)
        self.assertEqual([r.npi for r in brief.results], npis(page))
        self.assertEqual((brief.total, brief.next_cursor), (page.total, page.next_cursor))
        for summary, result in zip(brief.results, page.results):
            self.assertEqual(summary.location.id, result.nearest_location_id)
            self.assertEqual(summary.distance, result.distance)
            self.assertEqual(summary.primary_specialty.slug, result.physician.specialties[0].slug)


if __name__ == "__main__":
    unittest.main(verbosity=2)
