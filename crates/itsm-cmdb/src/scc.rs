//! Cycles: strongly connected components of the impact graph (iterative Tarjan).

use itsm_core::CiId;

use crate::CmdbError;
use crate::index::{GraphIndex, NONE};

impl GraphIndex {
    /// Every cycle of the impact graph: its strongly connected components
    /// with more than one CI, or one CI with a relationship to itself.
    ///
    /// Each CI appears in at most one component. Components list their CIs
    /// in index order and come in the order of their first CI. A relationship
    /// whose impact travels both ways (`connects_to`) is a cycle of two.
    /// Iterative: a million-CI chain needs no deep stack.
    ///
    /// `relationship_types` limits the graph to those types; `None` for all.
    ///
    /// # Errors
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type.
    pub fn strongly_connected_components(
        &self,
        relationship_types: Option<&[String]>,
    ) -> Result<Vec<Vec<CiId>>, CmdbError> {
        let follow = self.type_filter(relationship_types)?;
        let n = self.len();
        let mut order = vec![NONE; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        // (node, position of the next arc to look at)
        let mut call: Vec<(u32, u32)> = Vec::new();
        let mut next = 0u32;
        let mut components: Vec<Vec<u32>> = Vec::new();
        for root in 0..n as u32 {
            if order[root as usize] != NONE {
                continue;
            }
            order[root as usize] = next;
            low[root as usize] = next;
            next += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            call.push((root, 0));
            while let Some(top) = call.last_mut() {
                let v = top.0;
                let arcs = self.impact_arcs(v);
                if let Some(&arc) = arcs.get(top.1 as usize) {
                    top.1 += 1;
                    let (w, ty) = self.unpack(arc);
                    if !follow[ty as usize] {
                        continue;
                    }
                    if order[w as usize] == NONE {
                        order[w as usize] = next;
                        low[w as usize] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w as usize] = true;
                        call.push((w, 0));
                    } else if on_stack[w as usize] {
                        low[v as usize] = low[v as usize].min(order[w as usize]);
                    }
                    continue;
                }
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == order[v as usize] {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        component.push(w);
                        if w == v {
                            break;
                        }
                    }
                    let cyclic = component.len() > 1
                        || self.impact_arcs(v).iter().any(|&a| {
                            let (w, ty) = self.unpack(a);
                            w == v && follow[ty as usize]
                        });
                    if cyclic {
                        component.sort_unstable();
                        components.push(component);
                    }
                }
            }
        }
        components.sort_unstable_by_key(|c| c[0]);
        Ok(components
            .into_iter()
            .map(|c| c.into_iter().map(|v| self.id(v)).collect())
            .collect())
    }

    /// Which relationship types a traversal follows, by type id.
    pub(crate) fn type_filter(
        &self,
        relationship_types: Option<&[String]>,
    ) -> Result<Vec<bool>, CmdbError> {
        let mut follow = vec![relationship_types.is_none(); self.type_count()];
        for name in relationship_types.unwrap_or_default() {
            let ty = self
                .type_id(name)
                .ok_or_else(|| CmdbError::UnknownRelationshipType { name: name.clone() })?;
            follow[ty as usize] = true;
        }
        Ok(follow)
    }
}
