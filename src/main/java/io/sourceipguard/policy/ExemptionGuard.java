package io.sourceipguard.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The one place that decides who may exempt what. Adding or changing the exempt label, or putting a
 * Namespace in anything but enforce mode, is a grant, and only cluster admins grant. Removing an
 * exemption, or keeping one unchanged (CI re-applying a manifest), is always allowed. The grant
 * stamps are the webhook's to write: anyone else writing them is refused.
 */
public final class ExemptionGuard {

    /** What a request changes about exemptions. */
    public record Grant(boolean exempt, boolean mode, String problem) {
        public boolean any() {
            return exempt || mode;
        }
    }

    private final ExemptionSettings settings;
    private final List<String> ruleIds;

    public ExemptionGuard(ExemptionSettings settings, List<String> ruleIds) {
        this.settings = settings;
        this.ruleIds = List.copyOf(ruleIds);
    }

    public ExemptionSettings settings() {
        return settings;
    }

    /** What the request grants; a problem when a label value cannot be read. */
    public Grant grant(AdmissionSubject subject) {
        if (subject.operation() != Operation.CREATE && subject.operation() != Operation.UPDATE) {
            return new Grant(false, false, null);
        }
        String exempt = Metadata.label(subject.object(), Keys.EXEMPT);
        boolean exemptGrant = exempt != null && !exempt.equals(Metadata.label(subject.oldObject(), Keys.EXEMPT));
        String problem = null;
        if (exemptGrant) {
            try {
                RuleSelection.parse(exempt, ruleIds);
            } catch (IllegalArgumentException e) {
                problem = "label " + Keys.EXEMPT + "=" + exempt + " " + e.getMessage();
            }
        }
        boolean modeGrant = false;
        if (subject.is("", "Namespace")) {
            String mode = Metadata.label(subject.object(), Keys.MODE);
            if (mode != null && !mode.equals(Metadata.label(subject.oldObject(), Keys.MODE))) {
                try {
                    modeGrant = !NamespaceMode.parse(mode, ruleIds).enforcesAll();
                } catch (IllegalArgumentException e) {
                    problem = "label " + Keys.MODE + ": " + e.getMessage();
                }
            }
        }
        return new Grant(exemptGrant, modeGrant, problem);
    }

    /** Why the request must be refused, or null. */
    public String denial(AdmissionSubject subject, Grant grant) {
        if (grant.problem() != null) {
            return grant.problem();
        }
        boolean admin = settings.isAdmin(subject.username(), subject.groups());
        if (grant.any() && !admin) {
            String what = grant.exempt()
                    ? "label " + Keys.EXEMPT + "=" + Metadata.label(subject.object(), Keys.EXEMPT)
                    : "label " + Keys.MODE + "=" + Metadata.label(subject.object(), Keys.MODE);
            return "only a cluster admin may grant an exemption, and " + subject.username() + " is none: " + what
                    + " is refused. Remove the label, or ask a cluster admin to set it.";
        }
        if (!admin && stampsWritten(subject)) {
            return "annotations " + Keys.EXEMPTED_BY + " and " + Keys.EXEMPTED_AT
                    + " are written by sourceip-guard when a cluster admin grants an exemption; remove them.";
        }
        return null;
    }

    /** The stamps recording an admin's grant; none when already stamped (the webhook may be called again). */
    public List<PatchOperation> stamps(AdmissionSubject subject, Grant grant, Instant now) {
        if (!grant.any()
                || !settings.isAdmin(subject.username(), subject.groups())
                || subject.username().equals(Metadata.annotation(subject.object(), Keys.EXEMPTED_BY))) {
            return List.of();
        }
        TextNode by = TextNode.valueOf(subject.username());
        TextNode at = TextNode.valueOf(now.truncatedTo(ChronoUnit.SECONDS).toString());
        JsonNode annotations = subject.object().path("metadata").path("annotations");
        List<PatchOperation> ops = new ArrayList<>();
        if (!annotations.isObject()) {
            ObjectNode fresh = JsonNodeFactory.instance.objectNode();
            fresh.set(Keys.EXEMPTED_BY, by);
            fresh.set(Keys.EXEMPTED_AT, at);
            ops.add(PatchOperation.add("/metadata/annotations", fresh));
        } else {
            ops.add(PatchOperation.add("/metadata/annotations/" + PatchOperation.escape(Keys.EXEMPTED_BY), by));
            ops.add(PatchOperation.add("/metadata/annotations/" + PatchOperation.escape(Keys.EXEMPTED_AT), at));
        }
        return ops;
    }

    private static boolean stampsWritten(AdmissionSubject subject) {
        for (String key : new String[] {Keys.EXEMPTED_BY, Keys.EXEMPTED_AT}) {
            String now = Metadata.annotation(subject.object(), key);
            if (now != null && !Objects.equals(now, Metadata.annotation(subject.oldObject(), key))) {
                return true;
            }
        }
        return false;
    }
}
