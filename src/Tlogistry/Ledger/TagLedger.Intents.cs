using Microsoft.Extensions.Logging;
using Tlogistry.Signing;
using Tlogistry.Store;
using Tlogistry.Transparency.Envelopes;
using Tlogistry.Telemetry;

namespace Tlogistry.Ledger;

/// <summary>
/// Write-ahead intents: under the tag's lock, what a first sighting sends to the log is
/// stored before it is sent, and a tag that has an intent but no pin (its process died
/// between the log and the store) sends that same intent again instead of signing anew. A
/// log that deduplicates answers with the entry it already holds, so one tag gets one entry.
/// </summary>
internal sealed partial class TagLedger
{
    private const int ResumePage = 100;

    /// <summary>
    /// The tag's stored intent, else a newly signed one, stored before anything is sent. Called
    /// under the tag's lock with no pin in the store (nor, for logs with a search, in the log).
    /// Resent is true when the intent is one an earlier attempt stored (and may have sent).
    /// </summary>
    private async Task<(AppendIntent Intent, bool Resent)> IntentForAsync(Observation observed)
    {
        AppendIntent? stored;
        try
        {
            stored = await Guard("intent lookup", () => _index.FindIntentAsync(observed.Reference, CancellationToken.None));
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
                Log.Resubmitting(_logger, observed.Reference);
                return (stored, true);
            }

            Log.IntentExpired(_logger, observed.Reference);
        }

        var claim = new SightingClaim(observed.Reference, observed.Digest, observed.MediaType, _time.GetUtcNow(), observed.Upstream, _reader.Identity);
        SignedEnvelope signed;
        try
        {
            signed = await _signer.SignAsync(Dsse.InTotoPayloadType, SightingStatement.Encode(claim), CancellationToken.None);
        }
        catch (Exception e) when (e is Signing.Keyless.FulcioException or Signing.Keyless.IdentityTokenException)
        {
            throw new LedgerUnavailableException("signing failed: " + e.Message, e);
        }

        var intent = new AppendIntent(observed.Reference, signed.Envelope, signed.Signer);
        await Guard("intent write", async () =>
        {
            await _index.SaveIntentAsync(intent, CancellationToken.None);
            return 0;
        });
        return (intent, false);
    }

    /// <summary>
    /// Finishes every stored intent whose tag has no pin (the start after a crash between the
    /// log and the store): a log with a search is searched for it (the embedded log's start has
    /// reconciled already); to a log without one (Rekor v2) it is sent again through the
    /// ordinary first-sighting path: its lock, the store asked first, then the same intent. Returns how many were resumed; one
    /// that fails now is left for the next request for its tag, and an outage
    /// ends the round (the start goes on; requests send their tags' intents).
    /// </summary>
    public async Task<int> ResumeIntentsAsync(CancellationToken cancellationToken)
    {
        var resumed = 0;
        for (long? after = 0; after is long position;)
        {
            var page = await Guard("intent listing", () => _index.ListIntentsAsync(position, ResumePage, unpinnedOnly: true, cancellationToken));
            foreach (var intent in page.Intents)
            {
                SightingClaim claim;
                try
                {
                    claim = SightingStatement.Decode(intent.Envelope.Payload);
                }
                catch (FormatException e)
                {
                    Log.IntentNotResumed(_logger, intent.Reference, e.Message);
                    continue;
                }

                try
                {
                    // A log with a search says whether the intent reached it: found, it is the pin;
                    // absent, nothing was logged, and only a request for the tag logs it. A log
                    // without one can only be asked by sending the intent again.
                    if (_log.FindsLostPins)
                    {
                        resumed += await FindPinAsync(intent.Reference, cancellationToken) is null ? 0 : 1;
                    }
                    else
                    {
                        await ObserveAsync(new Observation(intent.Reference, claim.Digest, claim.MediaType, claim.Upstream), cancellationToken);
                        resumed++;
                    }
                }
                catch (LedgerIntegrityException e)
                {
                    Log.IntentNotResumed(_logger, intent.Reference, e.Message);
                }
                catch (LedgerUnavailableException e)
                {
                    // The log or the store is out: the rest would only wait for it too, and delay the start.
                    Log.IntentNotResumed(_logger, intent.Reference, e.Message);
                    return resumed;
                }
            }

            after = page.Next;
        }

        return resumed;
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

    private static bool IntentNames(AppendIntent intent, string reference)
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

        [LoggerMessage(EventId = EventIds.Ledger.IntentNotResumed, Level = LogLevel.Warning, Message = "the intent of {Reference} was not resumed at start ({Reason}); the next request for the tag sends it")]
        public static partial void IntentNotResumed(ILogger logger, string reference, string reason);
    }
}
