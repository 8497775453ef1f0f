namespace Tlogistry.Telemetry;

/// <summary>
/// Every log event ID of the code base, one range per area, so a number names one message
/// wherever a log is read (JSON logs carry it as <c>EventId</c>; operators filter on it). A
/// number once published keeps its meaning: a new message takes the next free number of its
/// area's range, and a test fails on any number used twice.
/// </summary>
internal static class EventIds
{
    /// <summary>1–99: <c>tlogistry serve</c> starting and its settings; 100: the request line.</summary>
    public static class Host
    {
        public const int Started = 1;
        public const int UpstreamMapped = 2;
        public const int KeylessNotReady = 3;
        public const int SharedStoreLocalLog = 4;
        public const int ServingTls = 6;
        public const int CertificateNotValidNow = 7;
        public const int TagPolicy = 8;
        public const int Opened = 9;
        public const int IntentsResumed = 10;
        public const int NotReady = 40;
        public const int ForeignPins = 41;
        public const int ForeignPinsNotChecked = 42;
        public const int Request = 100;
    }

    /// <summary>1000–1999: upstream registries.</summary>
    public static class Upstream
    {
        public const int FetchingToken = 1001;
        public const int ConfiguredUpstreamFailed = 1002;
    }

    /// <summary>2000–2999: the tag ledger and its log history.</summary>
    public static class Ledger
    {
        public const int Recorded = 2001;
        public const int SkippedEntry = 2002;
        public const int DuplicateEntry = 2003;
        public const int IndexWriteFailed = 2004;
        public const int Conflict = 2005;
        public const int UnlockFailed = 2006;
        public const int HistoryNotChecked = 2010;
        public const int IntentResubmitting = 2011;
        public const int IntentNotResumed = 2012;
        public const int IntentExpired = 2013;
        public const int StoredPinUnproven = 2014;
        public const int StampsNotWritten = 2015;
        public const int MarkNotWritten = 2016;
        public const int MarkNotBelieved = 2017;
    }

    /// <summary>3000–3099: the embedded log; 3100–3109: the HTTP transport; 3110–3199: the Rekor clients.</summary>
    public static class Transparency
    {
        public const int EmbeddedOpened = 3001;
        public const int EmbeddedCleanupFailed = 3002;
        public const int EmbeddedCutBack = 3003;
        public const int EmbeddedSubjectSyncFailed = 3004;
        public const int EmbeddedSubjectIndexRebuilt = 3005;
        public const int HttpRetrying = 3101;
        public const int RekorAlreadyLogged = 3111;
        public const int RekorSearchSkipped = 3112;
    }

    /// <summary>4000–4019: the registry API (<c>/v2/</c>); 4020–4099: the <c>/tlog/</c> endpoints.</summary>
    public static class Registry
    {
        public const int UpstreamFailed = 4001;
        public const int Mismatch = 4002;
        public const int IntegrityFailure = 4003;
        public const int StreamBroken = 4004;
        public const int LedgerUnavailable = 4005;
        public const int ServedUnverified = 4006;
        public const int ServedPinned = 4007;
        public const int PolicyTimeout = 4008;
        public const int FirstSightingLimited = 4009;
        public const int ServedStale = 4010;
        public const int HeldManifestRejected = 4011;
        public const int HeldManifestUnavailable = 4012;
        public const int MoveFirstSeen = 4013;
        public const int MoveNotRecorded = 4014;
        public const int MoveAnnouncerFailed = 4015;
        public const int TlogUnavailable = 4020;
        public const int MovesUnavailable = 4021;
        public const int MovesPageUnavailable = 4022;
    }

    /// <summary>4100–4199: <c>tlogistry log serve</c>.</summary>
    public static class LogServer
    {
        public const int Started = 4100;
        public const int Request = 4101;
        public const int Failed = 4102;
        public const int OpenLog = 4103;
        public const int NotReady = 4104;
        public const int Appended = 4105;
        public const int Rebuilt = 4106;
    }

    /// <summary>4200–4299: signing (the keyless signer, its token sources, its trust settings).</summary>
    public static class Signing
    {
        public const int CertificateIssued = 4201;
        public const int NoSct = 4202;
        public const int TokenFileExposed = 4203;
    }

    /// <summary>4400–4499: move notifications (<c>--notify</c> webhooks).</summary>
    public static class Notify
    {
        public const int Sending = 4400;
        public const int Delivered = 4401;
        public const int Retrying = 4402;
        public const int Failed = 4403;
        public const int Dropped = 4404;
        public const int Abandoned = 4405;
        public const int Faulted = 4406;
    }
}
