using Microsoft.Extensions.Logging;
using Tlogistry.Oci;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Telemetry;
using Tlogistry.Transparency;
using Tlogistry.Transparency.Envelopes;

namespace Tlogistry.Ledger;

/// <summary>
/// Write-ahead intents: under the tag's lock, what a first sighting sends to the log is
/// stored before it is sent, and a tag that has an intent but no pin (its process died
/// between the log and the store) sends that same intent again instead of signing anew. A
/// log that deduplicates answers with the entry it already holds, so one tag gets one entry.
/// </summary>
internal sealed partial class WriteAheadIntents
{
    private readonly IIntentJournal _journal;
    private readonly ITransparencyLog _log;
    private readonly IEnvelopeSigner _signer;
    private readonly string _identity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="identity">The identity new sightings record.</param>
    public WriteAheadIntents(IIntentJournal journal, ITransparencyLog log, IEnvelopeSigner signer, string identity, TimeProvider time, ILogger logger)
    {
        _journal = journal;
        _log = log;
        _signer = signer;
        _identity = identity;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// The tag's stored intent, else a newly signed one, stored before anything is sent. Called
    /// under the tag's lock with no pin in the store (nor, for logs with a search, in the log).
    /// Resent is true when the intent is one an earlier attempt stored (and may have sent).
    /// </summary>
    public async Task<(AppendIntent Intent, bool Resent)> ForAsync(Observation observed)
    {
        AppendIntent? stored;
        try
        {
            stored = await LedgerGuard.Store("intent lookup", () => _journal.FindIntentAsync(observed.Reference, CancellationToken.None));
        }
        catch (FormatException e)
        {
            throw new LedgerIntegrityException($"the stored intent of {observed.Reference} is not readable: {e.Message}", e);
        }

        if (stored is not null)
        {
            // Only this tag's statement may be sent for it: a row naming another tag is not ours to send.
            if (!IntentNames(stored, observed.Reference))
            {
                throw new LedgerIntegrityException($"the stored intent of {observed.Reference} holds a statement of another tag");
            }

            // A keyless intent whose certificate has expired would make an entry no verifier
            // accepts. Logs with a search have just been searched for it under the lock: absent
            // there, it never reached the log, and a new signature replaces it.
            if (!_log.FindsLostPins || !CertificateExpired(stored))
            {
                Log.Resubmitting(_logger, observed.Reference.Canonical);
                return (stored, true);
            }

            Log.IntentExpired(_logger, observed.Reference.Canonical);
        }

        var claim = new SightingClaim(observed.Reference, observed.Digest, observed.MediaType, _time.GetUtcNow(), observed.Upstream, _identity);
        SignedEnvelope signed;
        try
        {
            signed = await _signer.SignAsync(Dsse.InTotoPayloadType, SightingStatement.Encode(claim), CancellationToken.None);
        }
        catch (Exception e) when (e is Signing.Keyless.FulcioException or Signing.Keyless.IdentityTokenException)
        {
            throw new LedgerUnavailableException("signing failed: " + e.Message, e);
        }
        catch (Signing.Timestamps.TimestampException e)
        {
            throw new LedgerUnavailableException("timestamping failed: " + e.Message, e);
        }

        var intent = new AppendIntent(observed.Reference, signed.Envelope, signed.Signer) { Timestamps = signed.Timestamps };
        await LedgerGuard.Store("intent write", () => _journal.SaveIntentAsync(intent, CancellationToken.None));
        return (intent, false);
    }

    private bool CertificateExpired(AppendIntent intent)
    {
        if (intent.Signer.Certificates.Count == 0)
        {
            return false;
        }

        try
        {
            using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(intent.Signer.Certificates[0]);
            return leaf.NotAfter.ToUniversalTime() <= _time.GetUtcNow().UtcDateTime;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Not a certificate at all: nothing a log would accept, so nothing to keep sending.
            return true;
        }
    }

    private static bool IntentNames(AppendIntent intent, TagReference reference)
    {
        try
        {
            return SightingStatement.Decode(intent.Envelope.Payload).Reference == reference && intent.Reference == reference;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Ledger.IntentResubmitting, Level = LogLevel.Warning, Message = "{Reference} has an intent but no pin (a stop between the log and the store): sending the same intent again")]
        public static partial void Resubmitting(ILogger logger, string reference);

        [LoggerMessage(EventId = EventIds.Ledger.IntentExpired, Level = LogLevel.Warning, Message = "the intent of {Reference} holds a certificate that has expired and the log does not hold it: signing anew")]
        public static partial void IntentExpired(ILogger logger, string reference);
    }
}
