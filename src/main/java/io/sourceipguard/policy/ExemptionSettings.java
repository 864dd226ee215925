package io.sourceipguard.policy;

import java.util.List;
import java.util.Set;

/** Who may grant exemptions (cluster admins), and which platform identities bypass the rules. */
public record ExemptionSettings(Set<String> adminUsers, Set<String> adminGroups, Set<String> systemUsers) {

    public ExemptionSettings {
        adminUsers = Set.copyOf(adminUsers);
        adminGroups = Set.copyOf(adminGroups);
        systemUsers = Set.copyOf(systemUsers);
    }

    public static ExemptionSettings defaults() {
        return new ExemptionSettings(Set.of(), Set.of("system:masters"), Set.of());
    }

    public boolean isAdmin(String username, List<String> groups) {
        if (adminUsers.contains(username)) {
            return true;
        }
        for (String group : groups) {
            if (adminGroups.contains(group)) {
                return true;
            }
        }
        return false;
    }

    public boolean isSystem(String username) {
        return systemUsers.contains(username);
    }
}
