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
        // Bit sets small enough to stay in cache: an arc to a CI already
        // assigned to a component (the common case) costs no random read.
        let mut visited = vec![0u64; n.div_ceil(64)];
        let mut on_stack = vec![0u64; n.div_ceil(64)];
        let is = |bits: &[u64], v: u32| bits[(v >> 6) as usize] & (1 << (v & 63)) != 0;
        let flip = |bits: &mut [u64], v: u32| bits[(v >> 6) as usize] ^= 1 << (v & 63);
        // Discovery order, read only for CIs still on the stack.
        let mut order = vec![NONE; n];
        let mut stack: Vec<u32> = Vec::new();
        // The explicit call stack: (node, next arc, its order, its low link).
        let mut call: Vec<(u32, u32, u32, u32)> = Vec::new();
        let mut next = 0u32;
        let mut components: Vec<Vec<u32>> = Vec::new();
        for root in 0..n as u32 {
            if is(&visited, root) {
                continue;
            }
            flip(&mut visited, root);
            order[root as usize] = next;
            stack.push(root);
            flip(&mut on_stack, root);
            call.push((root, 0, next, next));
            next += 1;
            while let Some(top) = call.last_mut() {
                let v = top.0;
                if let Some(&arc) = self.impact_arcs(v).get(top.1 as usize) {
                    top.1 += 1;
                    let (w, ty) = self.unpack(arc);
                    if !follow[ty as usize] {
                        continue;
                    }
                    if !is(&visited, w) {
                        flip(&mut visited, w);
                        order[w as usize] = next;
                        stack.push(w);
                        flip(&mut on_stack, w);
                        call.push((w, 0, next, next));
                        next += 1;
                    } else if is(&on_stack, w) {
                        top.3 = top.3.min(order[w as usize]);
                    }
                    continue;
                }
                let (_, _, v_order, v_low) = *top;
                call.pop();
                if let Some(parent) = call.last_mut() {
                    parent.3 = parent.3.min(v_low);
                }
                if v_low == v_order {
                    let mut component = Vec::new();
                    while let Some(w) = stack.pop() {
                        flip(&mut on_stack, w);
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
