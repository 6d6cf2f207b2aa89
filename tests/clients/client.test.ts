// The TypeScript client an integrator gets from the served document:
// openapi-typescript's types and openapi-fetch, type-checked under `strict`
// and run against the running server (see run.sh). The same calls as the
// Python test: a search, its next page by cursor, a detail, a 400 read as a
// problem, the GeoJSON search read as a FeatureCollection, the summary view.
//
// Environment: LOCATOR_URL (the server), LOCATOR_KEY (a partner's API key).

import assert from "node:assert/strict";
import { test } from "node:test";

import createClient from "openapi-fetch";

import type { components, paths } from "./generated/schema.js";

type SearchResponse = components["schemas"]["SearchResponse"];
type SearchSummaryResponse = components["schemas"]["SearchSummaryResponse"];
type FeatureCollection = components["schemas"]["FeatureCollection"];
// The GeoJSON search's parameters: the search's, less the deprecated `format`.
type SearchQuery = NonNullable<paths["/v1/physicians.geojson"]["get"]["parameters"]["query"]>;

const client = createClient<paths>({
  baseUrl: process.env.LOCATOR_URL ?? "",
  headers: { "X-Api-Key": process.env.LOCATOR_KEY ?? "" },
});

// A search the seeded directory answers with more than one page.
const near: SearchQuery = { zip: "10001", radius: 50, unit: "mi", condition: ["lems"], limit: 2 };

type JsonPage = SearchResponse | SearchSummaryResponse;

// `GET /v1/physicians` may answer GeoJSON (`format` and `Accept` can ask for
// it), and its JSON in either view (`view`), so its 200 is typed as any of
// the three: `results` tells JSON from GeoJSON, a result's `physician` the
// full view from the summary.
function json(data: JsonPage | FeatureCollection | undefined): JsonPage {
  assert.ok(data && "results" in data, "a JSON page");
  return data;
}

const isFull = (page: JsonPage): page is SearchResponse => page.results.every((r) => "physician" in r);

function page(data: JsonPage | FeatureCollection | undefined): SearchResponse {
  const answer = json(data);
  assert.ok(isFull(answer), "the full view");
  return answer;
}

function summary(data: JsonPage | FeatureCollection | undefined): SearchSummaryResponse {
  const answer = json(data);
  assert.ok(!isFull(answer), "the summary view");
  return answer;
}

const npis = (page: SearchResponse): string[] => page.results.map((r) => r.physician.npi);

async function firstPage(): Promise<SearchResponse> {
  const { data, error, response } = await client.GET("/v1/physicians", {
    params: { query: { ...near, include_total: true } },
  });
  assert.equal(error, undefined);
  assert.ok(response.headers.get("X-Request-Id"));
  assert.ok(response.headers.get("ETag"));
  return page(data);
}

test("a search, then the next page by cursor", async () => {
  const first = await firstPage();
  assert.equal(first.results.length, 2);
  assert.ok((first.total ?? 0) > 2);
  const cursor = first.next_cursor;
  assert.ok(cursor);
  const { data } = await client.GET("/v1/physicians", { params: { query: { ...near, cursor } } });
  const second = page(data);
  assert.ok(second.results.length > 0);
  const seen = new Set(npis(first));
  assert.ok(npis(second).every((npi) => !seen.has(npi)), "pages do not overlap");
});

test("a detail", async () => {
  const npi = npis(await firstPage())[0];
  assert.ok(npi);
  const { data } = await client.GET("/v1/physicians/{npi}", { params: { path: { npi } } });
  assert.equal(data?.npi, npi);
  assert.ok(data.locations.length > 0);
  assert.ok(data.conditions.some((c) => c.slug === "lems"));
});

test("a bad request is a problem naming each parameter", async () => {
  const { data, error, response } = await client.GET("/v1/physicians", {
    params: { query: { zip: "10001", radius: 5000, limit: 0 } },
  });
  assert.equal(data, undefined);
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("Content-Type"), "application/problem+json");
  assert.equal(error?.status, 400);
  assert.deepEqual(error.errors.map((e) => e.parameter).sort(), ["limit", "radius"]);
});

test("the GeoJSON search is a FeatureCollection of the same page", async () => {
  const json = await firstPage();
  const { data } = await client.GET("/v1/physicians.geojson", { params: { query: near } });
  assert.equal(data?.type, "FeatureCollection");
  assert.deepEqual(
    data.features.map((f) => f.properties.npi),
    npis(json),
  );
  assert.equal(data.next_cursor, json.next_cursor);
  data.features.forEach((feature, i) => {
    const result = json.results[i];
    assert.ok(result);
    const location = result.physician.locations.find((l) => l.id === result.nearest_location_id);
    assert.equal(feature.geometry.type, "Point");
    assert.deepEqual(feature.geometry.coordinates, [location?.lng, location?.lat]);
    assert.equal(feature.properties.distance, result.distance);
  });
});

test("the summary view is the same page in brief", async () => {
  const full = await firstPage();
  const { data } = await client.GET("/v1/physicians", {
    params: { query: { ...near, include_total: true, view: "summary" } },
  });
  const brief = summary(data);
  assert.deepEqual(
    brief.results.map((r) => r.npi),
    npis(full),
  );
  assert.equal(brief.next_cursor, full.next_cursor);
  brief.results.forEach((result, i) => {
    const same = full.results[i];
    assert.ok(same);
    assert.equal(result.location.id, same.nearest_location_id);
    assert.equal(result.distance, same.distance);
    assert.equal(result.primary_specialty.slug, same.physician.specialties[0]?.slug);
  });
});
